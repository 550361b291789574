"""How score sheet rows are packed into ScoreBlock rows and read back (no Flask here).

Scores are a rows x items matrix: NaN for a blank cell, ABSENT_MARK for a cell that
held an absence marker. float32 when every value survives the round trip, else float64.
"""
import zlib

import numpy as np

ABSENT_MARK = -1.0
BLOCK_ROWS = 100_000
_COMPRESSION_LEVEL = 1


def _pack(array):
    return zlib.compress(np.ascontiguousarray(array).tobytes(), _COMPRESSION_LEVEL)


def narrowest_score_dtype(scores):
    as_float32 = scores.astype(np.float32)
    if np.array_equal(as_float32.astype(np.float64), scores, equal_nan=True):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def encode_block(student_ids, school_positions, row_absent, scores):
    """Return the column values of one ScoreBlock row."""
    dtype = narrowest_score_dtype(scores)
    return {
        "row_count": len(student_ids),
        "score_dtype": dtype.name,
        "student_ids": zlib.compress("\n".join(student_ids).encode("utf-8"), _COMPRESSION_LEVEL),
        "school_positions": _pack(np.asarray(school_positions, dtype=np.int32)),
        "row_absent": _pack(np.asarray(row_absent, dtype=np.bool_)),
        "scores": _pack(scores.astype(dtype)),
    }


def decode_blocks(blocks, item_count):
    """Concatenate stored blocks into (student_ids, school_positions, row_absent, scores)."""
    student_ids, schools, absent, scores = [], [], [], []
    for block in blocks:
        ids_text = zlib.decompress(block.student_ids).decode("utf-8")
        student_ids.extend(ids_text.split("\n") if block.row_count else [])
        schools.append(np.frombuffer(zlib.decompress(block.school_positions), dtype=np.int32))
        absent.append(np.frombuffer(zlib.decompress(block.row_absent), dtype=np.bool_))
        matrix = np.frombuffer(zlib.decompress(block.scores), dtype=np.dtype(block.score_dtype))
        scores.append(matrix.reshape(block.row_count, item_count))
    if not blocks:
        return [], np.zeros(0, np.int32), np.zeros(0, np.bool_), np.zeros((0, item_count))
    return student_ids, np.concatenate(schools), np.concatenate(absent), np.concatenate(scores)
