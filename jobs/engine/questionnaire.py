"""Questionnaire subjects: participants (respondents who answered at least one item)."""
import numpy as np


def questionnaire_subject_figures(scores, school_of_row, school_count):
    """{"region": figures, "by_school": [figures of school position 0, 1, ...]}."""
    answered_any = np.any(~np.isnan(scores), axis=1)
    counts = np.bincount(school_of_row[answered_any], minlength=school_count)
    return {
        "region": {"participant_count": int(answered_any.sum())},
        "by_school": [{"participant_count": int(count)} for count in counts],
    }
