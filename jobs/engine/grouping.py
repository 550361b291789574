"""Grouped reductions over rows sorted by group (school), without a Python loop per group."""
from dataclasses import dataclass

import numpy as np


@dataclass
class Groups:
    """Rows grouped contiguously: group g holds rows starts[g] .. starts[g] + sizes[g] - 1."""

    group_of_row: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray

    @property
    def count(self):
        return len(self.sizes)

    @classmethod
    def of_sorted(cls, sorted_group_of_row, group_count):
        sizes = np.bincount(sorted_group_of_row, minlength=group_count)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        return cls(sorted_group_of_row, starts, sizes)

    @classmethod
    def single(cls, row_count):
        return cls(np.zeros(row_count, dtype=np.int64), np.zeros(1, dtype=np.int64), np.array([row_count]))


def order_by_group(group_of_row, rows=None):
    """The given rows (default: all) in group order, keeping their order inside a group."""
    rows = np.arange(len(group_of_row)) if rows is None else rows
    return rows[np.argsort(group_of_row[rows], kind="stable")]


def columns_in_order(matrix, order):
    """The rows `order` of a rows x columns matrix as a columns x rows float64 array, in one copy
    (no gather when the rows are already in order)."""
    if len(order) == len(matrix) and np.array_equal(order, np.arange(len(order))):
        return np.ascontiguousarray(matrix.T, dtype=np.float64)
    return np.ascontiguousarray(matrix.T[:, order], dtype=np.float64)


def group_sums(values, groups):
    """Per-group sums along the last axis of a grouped 1-D array (rows) or 2-D array (columns x rows),
    booleans counted; shape (groups,) or (groups, columns); 0 for empty groups."""
    values = values.view(np.uint8) if values.dtype == np.bool_ else values
    columns = values.shape[:-1]
    result = np.zeros(columns + (groups.count,), dtype=np.float64)
    nonempty = groups.sizes > 0
    if values.shape[-1]:
        # Counts fit int32 (a group has fewer than 2**31 rows), and numpy sums uint8 into int32
        # several times faster than into int64.
        accumulator = np.int32 if values.dtype == np.uint8 else np.float64
        result[..., nonempty] = np.add.reduceat(values, groups.starts[nonempty], axis=-1, dtype=accumulator)
    return np.moveaxis(result, -1, 0)


def sorted_within_groups(values, groups):
    """The values of each group sorted ascending, groups kept in place."""
    return values[np.lexsort((values, groups.group_of_row))]


def group_quantiles(sorted_values, groups, probability):
    """Type-7 quantile (numpy's 'linear', R's default) of each group's sorted values; NaN if empty."""
    sizes = groups.sizes
    nonempty = sizes > 0
    if not sorted_values.shape[0]:
        return np.full(groups.count, np.nan)
    position = (np.maximum(sizes, 1) - 1) * probability
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, np.maximum(sizes - 1, 0))
    fraction = position - lower
    last_row = len(sorted_values) - 1
    below = sorted_values[np.minimum(groups.starts + lower, last_row)]
    above = sorted_values[np.minimum(groups.starts + upper, last_row)]
    step = above - below
    # numpy's lerp, so that the values match np.percentile bit for bit
    result = np.where(fraction >= 0.5, above - step * (1 - fraction), below + step * fraction)
    return np.where(nonempty, result, np.nan)


def group_counts(group_of_row, categories, group_count, category_count):
    """A group x category table of counts."""
    flat = np.bincount(group_of_row * category_count + categories, minlength=group_count * category_count)
    return flat.reshape(group_count, category_count)


def sample_variances(sums, squares, counts):
    """Sample variances (n - 1; 0 for one value) from sums and sums of squares; NaN for no value.

    Exact for whole and half scores, whose sums float64 holds without rounding; callers shift
    values near zero first so the sums stay small."""
    counts = np.asarray(counts, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        variances = (squares - sums * sums / counts) / np.maximum(counts - 1, 1)
    return np.where(counts > 0, np.maximum(variances, 0.0), np.nan)


def combine_groups(value):
    """Per-group sums (arrays, or lists of them) added up into one group, the leading axis kept."""
    if isinstance(value, list):
        return [combine_groups(item) for item in value]
    return value.sum(axis=0, keepdims=True)
