"""How score sheet rows are packed into ScoreBlock rows and read back (no Flask here).

A block's scores are stored item by item (items x rows), so the items of one subject lie
together and load without a strided gather. Whole scores from 0 to 253 are stored as one
byte each (255 blank, 254 absence marker); other scores as float32 when every value survives
the round trip, else float64. Read back, scores are floats: NaN for blank, ABSENT_MARK for an
absence marker.
"""
import zlib
from dataclasses import dataclass

import numpy as np

from jobs.engine import ABSENT_MARK

BLOCK_ROWS = 100_000
BLANK_CODE, ABSENT_CODE = 255, 254
_COMPRESSION_LEVEL = 1
# Byte code -> score.
_BYTE_SCORES = np.arange(256, dtype=np.float32)
_BYTE_SCORES[BLANK_CODE] = np.nan
_BYTE_SCORES[ABSENT_CODE] = ABSENT_MARK


@dataclass
class StoredRows:
    """A sheet's rows as stored: scores are items x rows."""

    student_ids: list
    school_positions: np.ndarray
    row_absent: np.ndarray
    scores: np.ndarray


def _pack(array):
    return zlib.compress(np.ascontiguousarray(array).tobytes(), _COMPRESSION_LEVEL)


def _encoded_scores(scores):
    """(dtype name, items x rows array) in the narrowest form that keeps every value."""
    values = scores[~np.isnan(scores) & (scores != ABSENT_MARK)]
    if values.size == 0 or (values.min() >= 0 and values.max() < ABSENT_CODE and np.all(values == np.round(values))):
        codes = np.where(np.isnan(scores), BLANK_CODE, np.where(scores == ABSENT_MARK, ABSENT_CODE, scores))
        return "uint8", codes.astype(np.uint8).T
    as_float32 = scores.astype(np.float32)
    if np.array_equal(as_float32.astype(np.float64), scores, equal_nan=True):
        return "float32", as_float32.T
    return "float64", scores.T


def encode_block(student_ids, school_positions, row_absent, scores):
    """Return the column values of one ScoreBlock row (scores given as rows x items)."""
    dtype, items_by_rows = _encoded_scores(scores)
    return {
        "row_count": len(student_ids),
        "score_dtype": dtype,
        "student_ids": zlib.compress("\n".join(student_ids).encode("utf-8"), _COMPRESSION_LEVEL),
        "school_positions": _pack(np.asarray(school_positions, dtype=np.int32)),
        "row_absent": _pack(np.asarray(row_absent, dtype=np.bool_)),
        "scores": _pack(items_by_rows),
    }


def _block_scores(block, item_count):
    stored = np.frombuffer(zlib.decompress(block.scores), dtype=np.dtype(block.score_dtype))
    stored = stored.reshape(item_count, block.row_count)
    return _BYTE_SCORES[stored] if block.score_dtype == "uint8" else stored


def decode_blocks(blocks, item_count, with_student_ids=True):
    """A sheet's stored blocks, concatenated; the student ids are decoded only when asked for."""
    student_ids = []
    if with_student_ids:
        for block in blocks:
            text = zlib.decompress(block.student_ids).decode("utf-8")
            student_ids.extend(text.split("\n") if block.row_count else [])
    if not blocks:
        return StoredRows(student_ids, np.zeros(0, np.int32), np.zeros(0, np.bool_), np.zeros((item_count, 0)))
    return StoredRows(
        student_ids,
        np.concatenate([np.frombuffer(zlib.decompress(block.school_positions), np.int32) for block in blocks]),
        np.concatenate([np.frombuffer(zlib.decompress(block.row_absent), np.bool_) for block in blocks]),
        np.concatenate([_block_scores(block, item_count) for block in blocks], axis=1),
    )
