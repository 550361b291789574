"""Exam subjects: the subject figures of STATISTICS.md for the region and every school."""
from dataclasses import dataclass

import numpy as np

from jobs.engine import ABSENT_MARK
from jobs.engine.grouping import (
    group_counts,
    group_means,
    group_quantiles,
    group_sample_variances,
    group_sums,
    sort_groups,
)

# Thresholds are compared as T >= t * F - TOLERANCE so that a total exactly on a threshold counts.
TOLERANCE = 1e-9
PERCENTILES = {"p10": 0.10, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p90": 0.90}
GRADES = ("needs_improvement", "satisfactory", "good", "excellent")


@dataclass(frozen=True)
class ExamSettings:
    excellent_threshold: float = 0.85
    good_threshold: float = 0.70
    satisfactory_threshold: float = 0.60
    group_share: float = 0.27
    band_count: int = 10


@dataclass
class ExamSubjectData:
    """One subject's sheet rows: item scores, absences and the school of each row."""

    scores: np.ndarray
    max_scores: np.ndarray
    row_absent: np.ndarray
    school_of_row: np.ndarray
    school_count: int


def sat_mask(scores, row_absent):
    """A student sat when the row is not marked absent, no item holds an absence marker,
    and at least one item is non-blank."""
    marked = np.any(scores == ABSENT_MARK, axis=1)
    answered = np.any(~np.isnan(scores), axis=1)
    return ~row_absent & ~marked & answered


def exam_subject_figures(data: ExamSubjectData, settings=ExamSettings()):
    """{"region": figures, "by_school": [figures of school position 0, 1, ...]}."""
    sat = sat_mask(data.scores, data.row_absent)
    items = np.nan_to_num(data.scores[sat].astype(np.float64), nan=0.0)
    schools = data.school_of_row[sat]
    absent_by_school = np.bincount(data.school_of_row[~sat], minlength=data.school_count)
    full_mark = float(np.sum(data.max_scores, dtype=np.float64))

    region = scope_figures(items, np.zeros(len(items), dtype=np.int64), 1, [int((~sat).sum())], full_mark, settings)
    by_school = scope_figures(items, schools.astype(np.int64), data.school_count, absent_by_school, full_mark, settings)
    return {"region": region[0], "by_school": by_school}


def scope_figures(items, group_of_row, group_count, absent_counts, full_mark, settings):
    """Subject figures of each group (scope) of participants, as a list of dictionaries."""
    totals = items.sum(axis=1)
    groups = sort_groups(group_of_row, group_count, within=totals)
    sorted_totals = totals[groups.order]
    sorted_items = items[groups.order]
    sizes = groups.sizes

    means = group_means(sorted_totals, groups)
    variances = group_sample_variances(sorted_totals, groups, means)
    quantiles = {name: group_quantiles(sorted_totals, groups, p) for name, p in PERCENTILES.items()}
    lower_cut = group_quantiles(sorted_totals, groups, settings.group_share)
    upper_cut = group_quantiles(sorted_totals, groups, 1 - settings.group_share)
    discrimination = _discrimination(sorted_totals, groups, lower_cut, upper_cut, full_mark)
    alpha = _cronbach_alpha(sorted_items, groups, variances)
    grades = _grade_counts(sorted_totals, groups, full_mark, settings)
    bands = _band_counts(sorted_totals, groups, full_mark, settings.band_count)
    last = groups.starts + np.maximum(sizes - 1, 0)

    figures = []
    for group in range(group_count):
        n = int(sizes[group])
        if n == 0:
            figures.append({"participant_count": 0, "absent_count": int(absent_counts[group])})
            continue
        figures.append(
            _figures_of_scope(
                n=n,
                absent_count=int(absent_counts[group]),
                mean=float(means[group]),
                variance=float(variances[group]),
                minimum=float(sorted_totals[groups.starts[group]]),
                maximum=float(sorted_totals[last[group]]),
                percentiles={name: float(values[group]) for name, values in quantiles.items()},
                discrimination=float(discrimination[group]),
                alpha=alpha[group],
                grades=grades[group],
                bands=bands[group],
                full_mark=full_mark,
            )
        )
    return figures


def _figures_of_scope(n, absent_count, mean, variance, minimum, maximum, percentiles, discrimination, alpha,
                      grades, bands, full_mark):
    difficulty = mean / full_mark
    grade_distribution = {
        grade: {"count": int(grades[index]), "percentage": 100.0 * int(grades[index]) / n}
        for index, grade in reversed(list(enumerate(GRADES)))
    }
    return {
        "participant_count": n,
        "absent_count": absent_count,
        "average_score": mean,
        "standard_deviation": float(np.sqrt(variance)),
        "min_score": minimum,
        "max_score": maximum,
        "median_score": percentiles["p50"],
        "percentiles": percentiles,
        "difficulty_coefficient": difficulty,
        "difficulty_level": difficulty_level(difficulty),
        "discrimination_coefficient": discrimination,
        "discrimination_level": discrimination_level(discrimination),
        "reliability_coefficient": None if alpha is None or np.isnan(alpha) else float(alpha),
        "grade_distribution": grade_distribution,
        "pass_rate": float(grades[1:].sum()) / n,
        "excellent_rate": float(grades[3]) / n,
        "score_bands": [int(count) for count in bands],
    }


def difficulty_level(difficulty):
    if difficulty > 0.7:
        return "easy"
    if difficulty >= 0.3:
        return "medium"
    return "hard"


def discrimination_level(discrimination):
    if discrimination >= 0.4:
        return "excellent"
    if discrimination >= 0.3:
        return "good"
    if discrimination >= 0.2:
        return "acceptable"
    return "poor"


def upper_lower_masks(sorted_totals, groups, lower_cut, upper_cut):
    """Rows in the upper (T >= Q(1 - share)) and lower (T <= Q(share)) groups; ties at a cut are in."""
    upper = sorted_totals >= upper_cut[groups.group_of_row]
    lower = sorted_totals <= lower_cut[groups.group_of_row]
    return upper, lower


def _discrimination(sorted_totals, groups, lower_cut, upper_cut, full_mark):
    upper, lower = upper_lower_masks(sorted_totals, groups, lower_cut, upper_cut)
    with np.errstate(invalid="ignore", divide="ignore"):
        upper_mean = group_sums(sorted_totals * upper, groups) / group_sums(upper.astype(np.float64), groups)
        lower_mean = group_sums(sorted_totals * lower, groups) / group_sums(lower.astype(np.float64), groups)
    return (upper_mean - lower_mean) / full_mark


def _cronbach_alpha(sorted_items, groups, total_variances):
    """Alpha per group with every item kept; NaN where undefined (m < 2, n < 2, var(T) = 0)."""
    item_count = sorted_items.shape[1]
    if item_count < 2:
        return np.full(groups.count, np.nan)
    item_means = group_means(sorted_items, groups)
    item_variance_sums = group_sample_variances(sorted_items, groups, item_means).sum(axis=1)
    defined = (groups.sizes >= 2) & (total_variances > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = item_count / (item_count - 1) * (1 - item_variance_sums / total_variances)
    return np.where(defined, alpha, np.nan)


def _grade_counts(sorted_totals, groups, full_mark, settings):
    thresholds = (settings.satisfactory_threshold, settings.good_threshold, settings.excellent_threshold)
    grade = sum((sorted_totals >= t * full_mark - TOLERANCE).astype(np.int64) for t in thresholds)
    return group_counts(groups.group_of_row, grade, groups.count, len(GRADES))


def _band_counts(sorted_totals, groups, full_mark, band_count):
    band = sum(
        (sorted_totals >= k * full_mark / band_count - TOLERANCE).astype(np.int64) for k in range(1, band_count)
    )
    return group_counts(groups.group_of_row, band, groups.count, band_count)
