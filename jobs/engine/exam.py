"""Exam subjects: subject, item and dimension figures of STATISTICS.md for the region and every
school, and the school comparison of the region.

Every per-school figure comes from grouped reductions over rows sorted once by (school, total);
there is no Python loop over students or schools, only over the output dictionaries.
"""
from dataclasses import dataclass, field

import numpy as np

from jobs.engine import ABSENT_MARK
from jobs.engine.comparison import school_comparison
from jobs.engine.grouping import group_counts, group_quantiles, group_sums, sort_groups

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
    """One subject's sheet rows: item scores (NaN blank, ABSENT_MARK absent), absences and schools."""

    scores: np.ndarray
    max_scores: np.ndarray
    row_absent: np.ndarray
    school_of_row: np.ndarray
    school_codes: list
    item_ids: list = None
    dimensions: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.item_ids is None:
            self.item_ids = [str(index + 1) for index in range(self.scores.shape[1])]


def sat_mask(scores, row_absent):
    """A student sat when the row is not marked absent, no item holds an absence marker,
    and at least one item is non-blank."""
    marked = np.any(scores == ABSENT_MARK, axis=1)
    answered = np.any(~np.isnan(scores), axis=1)
    return ~row_absent & ~marked & answered


def exam_subject_figures(data: ExamSubjectData, settings=ExamSettings()):
    """{"region": figures with items, dimensions and schools, "by_school": {code: figures}}.

    by_school holds every school with at least one row (present or absent) in the subject's sheet.
    """
    school_count = len(data.school_codes)
    sat = sat_mask(data.scores, data.row_absent)
    participant_scores = data.scores[sat]
    blank = np.isnan(participant_scores)
    items = np.where(blank, 0.0, participant_scores).astype(np.float64)
    schools = data.school_of_row[sat].astype(np.int64)
    absent_by_school = np.bincount(data.school_of_row[~sat], minlength=school_count)
    membership = _dimension_membership(data)

    region_scope = ScopeStatistics(items, blank, np.zeros(len(items), np.int64), 1, data.max_scores, membership, settings)
    school_scopes = ScopeStatistics(items, blank, schools, school_count, data.max_scores, membership, settings)

    region = region_scope.figures(0, int((~sat).sum()), data)
    if region_scope.sizes[0]:
        region["schools"] = school_comparison(
            data.school_codes, school_scopes.means, school_scopes.sizes, region_scope.means[0], region_scope.standard_deviations[0]
        )
    present = np.bincount(data.school_of_row, minlength=school_count) > 0
    by_school = {
        data.school_codes[school]: school_scopes.figures(school, int(absent_by_school[school]), data)
        for school in np.flatnonzero(present)
    }
    return {"region": region, "by_school": by_school}


def _dimension_membership(data):
    """An items x dimensions 0/1 matrix, so dimension subtotals are one matrix product."""
    membership = np.zeros((len(data.item_ids), len(data.dimensions)))
    for column, columns in enumerate(data.dimensions.values()):
        membership[columns, column] = 1.0
    return membership


def _with_null(values):
    """Python floats, None where NaN (undefined)."""
    return [None if np.isnan(value) else float(value) for value in values]


class ScopeStatistics:
    """The arrays behind every figure of each group (scope); `figures(group)` builds one dictionary."""

    def __init__(self, items, blank, group_of_row, group_count, max_scores, membership, settings):
        self.settings = settings
        self.max_scores = np.asarray(max_scores, dtype=np.float64)
        self.full_mark = float(self.max_scores.sum())
        self.item_count = items.shape[1]
        totals = items.sum(axis=1)
        groups = sort_groups(group_of_row, group_count, within=totals)
        self.groups = groups
        self.sizes = groups.sizes
        sorted_totals = totals[groups.order]
        self._subject(sorted_totals)
        sorted_items = items[groups.order]
        self._items(sorted_items, blank[groups.order], sorted_totals)
        self._dimensions(sorted_items, membership)

    # ---- subject ---------------------------------------------------------------------------

    def _subject(self, totals):
        groups, settings = self.groups, self.settings
        self.means = self._means(group_sums(totals, groups))
        self.variances = self._variances(totals, self.means)
        self.standard_deviations = np.sqrt(self.variances)
        self.quantiles = {name: group_quantiles(totals, groups, p) for name, p in PERCENTILES.items()}
        # Empty groups point at row 0 (or nothing); their figures are never read.
        last_row = max(len(totals) - 1, 0)
        first = np.minimum(groups.starts, last_row)
        last = np.minimum(groups.starts + np.maximum(self.sizes - 1, 0), last_row)
        self.minimum = totals[first] if len(totals) else np.full(groups.count, np.nan)
        self.maximum = totals[last] if len(totals) else np.full(groups.count, np.nan)
        lower_cut = group_quantiles(totals, groups, settings.group_share)
        upper_cut = group_quantiles(totals, groups, 1 - settings.group_share)
        self.upper = totals >= upper_cut[groups.group_of_row]
        self.lower = totals <= lower_cut[groups.group_of_row]
        self.upper_counts = group_sums(self.upper, groups)
        self.lower_counts = group_sums(self.lower, groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            upper_mean = group_sums(np.where(self.upper, totals, 0.0), groups) / self.upper_counts
            lower_mean = group_sums(np.where(self.lower, totals, 0.0), groups) / self.lower_counts
        self.discrimination = (upper_mean - lower_mean) / self.full_mark
        thresholds = (settings.satisfactory_threshold, settings.good_threshold, settings.excellent_threshold)
        grade = sum((totals >= t * self.full_mark - TOLERANCE).astype(np.int64) for t in thresholds)
        self.grades = group_counts(groups.group_of_row, grade, groups.count, len(GRADES))
        band = sum(
            (totals >= k * self.full_mark / settings.band_count - TOLERANCE).astype(np.int64)
            for k in range(1, settings.band_count)
        )
        self.bands = group_counts(groups.group_of_row, band, groups.count, settings.band_count)

    # ---- items -----------------------------------------------------------------------------

    def _items(self, items, blank, totals):
        groups = self.groups
        sizes = self.sizes[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            self.full_mark_rates = group_sums(items == self.max_scores, groups) / sizes
            self.zero_rates = group_sums(items == 0, groups) / sizes
            self.missing_rates = group_sums(blank, groups) / sizes
            upper_item_means = group_sums(items * self.upper[:, None], groups) / self.upper_counts[:, None]
            lower_item_means = group_sums(items * self.lower[:, None], groups) / self.lower_counts[:, None]
        self.item_discrimination = (upper_item_means - lower_item_means) / self.max_scores
        self.item_means = self._means(group_sums(items, groups))
        rest = totals[:, None] - items
        rest_means = self._means(group_sums(rest, groups))
        centred_items = items - self.item_means[groups.group_of_row]
        rest -= rest_means[groups.group_of_row]
        centred_totals = totals - self.means[groups.group_of_row]
        divisor = self._divisor()[:, None]
        self.item_variances = group_sums(centred_items * centred_items, groups) / divisor
        self.rest_variances = group_sums(rest * rest, groups) / divisor
        item_total_covariances = group_sums(centred_items * centred_totals[:, None], groups) / divisor
        item_rest_covariances = group_sums(centred_items * rest, groups) / divisor
        self.item_total_correlations = _correlation(item_total_covariances, self.item_variances, self.variances[:, None])
        self.item_rest_correlations = _correlation(item_rest_covariances, self.item_variances, self.rest_variances)
        self.alpha = _alpha(self.item_count, self.item_variances.sum(axis=1), self.variances, self.sizes)
        remaining_variance_sums = self.item_variances.sum(axis=1)[:, None] - self.item_variances
        self.alpha_if_deleted = _alpha(self.item_count - 1, remaining_variance_sums, self.rest_variances, sizes)

    # ---- dimensions ------------------------------------------------------------------------

    def _dimensions(self, items, membership):
        groups = self.groups
        self.dimension_full_marks = self.max_scores @ membership
        subtotals = items @ membership
        self.dimension_means = self._means(group_sums(subtotals, groups))
        self.dimension_variances = self._variances(subtotals, self.dimension_means)
        item_counts = membership.sum(axis=0)
        self.dimension_alpha = _alpha(
            item_counts, self.item_variances @ membership, self.dimension_variances, self.sizes[:, None]
        )

    # ---- helpers ---------------------------------------------------------------------------

    def _divisor(self):
        return np.maximum(self.sizes - 1, 1).astype(np.float64)

    def _means(self, sums):
        sizes = self.sizes.reshape((-1,) + (1,) * (sums.ndim - 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / sizes

    def _variances(self, sorted_values, means):
        """Sample variances (n - 1; 0 for one row), centred on the group means for accuracy."""
        deviations = sorted_values - means[self.groups.group_of_row]
        divisor = self._divisor().reshape((-1,) + (1,) * (sorted_values.ndim - 1))
        return group_sums(deviations * deviations, self.groups) / divisor

    # ---- output ----------------------------------------------------------------------------

    def figures(self, group, absent_count, data):
        n = int(self.sizes[group])
        if n == 0:
            return {"participant_count": 0, "absent_count": absent_count}
        figures = self._subject_figures(group, n, absent_count)
        figures["items"] = self._item_figures(group, data.item_ids)
        figures["dimensions"] = self._dimension_figures(group, list(data.dimensions))
        return figures

    def _subject_figures(self, group, n, absent_count):
        mean = float(self.means[group])
        difficulty = mean / self.full_mark
        discrimination = float(self.discrimination[group])
        grades = self.grades[group]
        percentiles = {name: float(values[group]) for name, values in self.quantiles.items()}
        return {
            "participant_count": n,
            "absent_count": absent_count,
            "average_score": mean,
            "standard_deviation": float(self.standard_deviations[group]),
            "min_score": float(self.minimum[group]),
            "max_score": float(self.maximum[group]),
            "median_score": percentiles["p50"],
            "percentiles": percentiles,
            "difficulty_coefficient": difficulty,
            "difficulty_level": difficulty_level(difficulty),
            "discrimination_coefficient": discrimination,
            "discrimination_level": discrimination_level(discrimination),
            "reliability_coefficient": _with_null([self.alpha[group]])[0],
            "grade_distribution": {
                grade: {"count": int(grades[index]), "percentage": 100.0 * int(grades[index]) / n}
                for index, grade in reversed(list(enumerate(GRADES)))
            },
            "pass_rate": float(grades[1:].sum()) / n,
            "excellent_rate": float(grades[3]) / n,
            "score_bands": [int(count) for count in self.bands[group]],
        }

    def _item_figures(self, group, item_ids):
        columns = {
            "average_score": self.item_means[group],
            "standard_deviation": np.sqrt(self.item_variances[group]),
            "difficulty_coefficient": self.item_means[group] / self.max_scores,
            "full_mark_rate": self.full_mark_rates[group],
            "zero_rate": self.zero_rates[group],
            "missing_rate": self.missing_rates[group],
            "item_total_correlation": self.item_total_correlations[group],
            "item_rest_correlation": self.item_rest_correlations[group],
            "discrimination_coefficient": self.item_discrimination[group],
            "alpha_if_deleted": self.alpha_if_deleted[group],
        }
        values = {name: _with_null(column) for name, column in columns.items()}
        return {item_id: {name: values[name][index] for name in columns} for index, item_id in enumerate(item_ids)}

    def _dimension_figures(self, group, names):
        means = self.dimension_means[group]
        columns = {
            "average_score": _with_null(means),
            "standard_deviation": _with_null(np.sqrt(self.dimension_variances[group])),
            "full_mark": [float(value) for value in self.dimension_full_marks],
            "difficulty_coefficient": _with_null(means / self.dimension_full_marks),
            "reliability_coefficient": _with_null(self.dimension_alpha[group]),
        }
        return {name: {key: column[index] for key, column in columns.items()} for index, name in enumerate(names)}


def _correlation(covariances, left_variances, right_variances):
    """Pearson r; NaN (null) where either side has zero variance."""
    defined = (left_variances > 0) & (right_variances > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(defined, covariances / np.sqrt(left_variances * right_variances), np.nan)


def _alpha(item_count, item_variance_sums, total_variances, sizes):
    """Cronbach's alpha with every item kept; NaN where undefined (m < 2, n < 2, var(T) = 0)."""
    item_count = np.asarray(item_count, dtype=np.float64)
    defined = (item_count >= 2) & (sizes >= 2) & (total_variances > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = item_count / (item_count - 1) * (1 - item_variance_sums / total_variances)
    return np.where(defined, alpha, np.nan)


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
