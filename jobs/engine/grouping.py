"""Grouped reductions over rows sorted by group (school), without a Python loop per group."""
from dataclasses import dataclass

import numpy as np


@dataclass
class SortedGroups:
    """Rows sorted by group; group g holds rows starts[g] .. starts[g] + sizes[g] - 1."""

    order: np.ndarray
    group_of_row: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray

    @property
    def count(self):
        return len(self.sizes)

    @property
    def nonempty(self):
        return self.sizes > 0


def sort_groups(group_of_row, group_count, within=None):
    """Sort rows by group, and by `within` inside each group when given (one lexsort)."""
    keys = (group_of_row,) if within is None else (within, group_of_row)
    order = np.lexsort(keys)
    sizes = np.bincount(group_of_row, minlength=group_count)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return SortedGroups(order, group_of_row[order], starts, sizes)


def group_sums(sorted_values, groups):
    """Per-group sums of a sorted 1-D or 2-D (rows x columns) array, booleans counted; 0 for empty groups."""
    result = np.zeros((groups.count,) + sorted_values.shape[1:], dtype=np.float64)
    nonempty = groups.nonempty
    if sorted_values.shape[0]:
        result[nonempty] = np.add.reduceat(sorted_values, groups.starts[nonempty], axis=0, dtype=np.float64)
    return result


def group_quantiles(sorted_values, groups, probability):
    """Type-7 quantile (numpy's 'linear', R's default) of each group's sorted values; NaN if empty."""
    sizes = groups.sizes
    nonempty = groups.nonempty
    position = (np.maximum(sizes, 1) - 1) * probability
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, np.maximum(sizes - 1, 0))
    fraction = position - lower
    base = np.where(nonempty, groups.starts, 0)
    if not sorted_values.shape[0]:
        return np.full(groups.count, np.nan)
    below = sorted_values[np.minimum(base + lower, len(sorted_values) - 1)]
    above = sorted_values[np.minimum(base + upper, len(sorted_values) - 1)]
    step = above - below
    # numpy's lerp, so that the values match np.percentile bit for bit
    result = np.where(fraction >= 0.5, above - step * (1 - fraction), below + step * fraction)
    return np.where(nonempty, result, np.nan)


def group_counts(group_of_row, categories, group_count, category_count):
    """A group x category table of counts."""
    flat = np.bincount(group_of_row * category_count + categories, minlength=group_count * category_count)
    return flat.reshape(group_count, category_count)
