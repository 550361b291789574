"""The statistics engine of STATISTICS.md: numpy arrays in, plain dictionaries out.

It knows nothing of Flask, SQL or RQ. Scores arrive as a students x items matrix with
NaN for a blank cell and ABSENT_MARK for a cell that held an absence marker.
"""
ABSENT_MARK = -1.0
