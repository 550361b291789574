"""The statistics engine of STATISTICS.md: numpy arrays in, plain dictionaries out.

It knows nothing of Flask, SQL or RQ. Scores arrive as a students x items matrix with
NaN for a blank cell and ABSENT_MARK for a cell that held an absence marker.
"""
import math

import numpy as np

ABSENT_MARK = -1.0

# How often the per-school output loops report progress.
PROGRESS_EVERY_SCHOOLS = 200


def ignore_progress(fraction):
    """The default progress callback of the engine's functions."""


def nullable(value):
    """A float as JSON may hold it: None where the figure is undefined (NaN) or overflowed."""
    return value if math.isfinite(value) else None


def python_values(array):
    """An array as (nested) Python lists, None where a figure is undefined (NaN) or overflowed.

    One conversion for every scope at once: far cheaper than a Python check per number."""
    array = np.asarray(array, dtype=np.float64)
    undefined = ~np.isfinite(array)
    if not undefined.any():
        return array.tolist()
    with_none = array.astype(object)
    with_none[undefined] = None
    return with_none.tolist()
