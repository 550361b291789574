"""The school comparison table of an exam subject, in the region scope."""
import numpy as np


def competition_ranks(values):
    """1 for the highest; equal values share the smallest rank (1, 2, 2, 4)."""
    ascending = np.sort(values)
    strictly_greater = len(values) - np.searchsorted(ascending, values, side="right")
    return strictly_greater + 1


def school_comparison(school_codes, school_means, school_sizes, region_mean, region_standard_deviation):
    """{code: {average_score, participant_count, difference, over_average_rate, standard_score, rank}}
    for every school with participants, in school code order."""
    with_participants = np.flatnonzero(school_sizes > 0)
    means = school_means[with_participants]
    ranks = competition_ranks(means)
    differences = means - region_mean
    rows = {}
    for position, school in enumerate(with_participants):
        difference = float(differences[position])
        rows[school_codes[school]] = {
            "average_score": float(means[position]),
            "participant_count": int(school_sizes[school]),
            "difference": difference,
            "over_average_rate": difference / region_mean if region_mean != 0 else None,
            "standard_score": 50 + 10 * difference / region_standard_deviation if region_standard_deviation > 0 else None,
            "rank": int(ranks[position]),
        }
    return dict(sorted(rows.items()))
