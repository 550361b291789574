"""The statistics engine of STATISTICS.md: numpy arrays in, plain dictionaries out.

It knows nothing of Flask, SQL or RQ. Scores arrive as a students x items matrix with
NaN for a blank cell and ABSENT_MARK for a cell that held an absence marker.
"""
import math

ABSENT_MARK = -1.0

# How often the per-school output loops report progress.
PROGRESS_EVERY_SCHOOLS = 200


def ignore_progress(fraction):
    """The default progress callback of the engine's functions."""


def nullable(value):
    """A float as JSON may hold it: None where the figure is undefined (NaN) or overflowed."""
    return value if math.isfinite(value) else None
