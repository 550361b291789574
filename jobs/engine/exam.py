"""Exam subjects: subject, item and dimension figures of STATISTICS.md for the region and every
school, and the school comparison of the region.

The participants' scores are gathered once into an items x students matrix grouped by school.
Every per-school figure comes from per-school sums of that matrix (np.add.reduceat over the
school segments); the region's sums are the schools' sums added up. Only the quantiles and the
upper/lower groups, which depend on the scope's own cut points, are computed per scope kind.
Scores are shifted by a whole number per item before squaring, so that the sums stay small
and, for whole and half points, exact.
"""
from dataclasses import dataclass, field

import numpy as np

from jobs.engine import ABSENT_MARK, PROGRESS_EVERY_SCHOOLS, ignore_progress, nullable, python_values
from jobs.engine.comparison import school_comparison
from jobs.engine.grouping import (
    Groups,
    columns_in_order,
    combine_groups,
    group_counts,
    group_quantiles,
    group_sums,
    order_by_group,
    sample_variances,
    sorted_within_groups,
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
    """One subject's sheet rows (students x items): NaN blank, ABSENT_MARK absent; absences and schools."""

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


def exam_subject_figures(data: ExamSubjectData, settings=ExamSettings(), on_progress=ignore_progress):
    """{"region": figures with items, dimensions and schools, "by_school": {code: figures}}.

    by_school holds every school with at least one row (present or absent) in the subject's sheet.
    on_progress(fraction) is called as the work advances.
    """
    school_count = len(data.school_codes)
    school_of_row = np.asarray(data.school_of_row, dtype=np.int64)
    sat = sat_mask(data.scores, data.row_absent)
    order = order_by_group(school_of_row, np.flatnonzero(sat))
    items = columns_in_order(data.scores, order)
    blank = np.isnan(items)
    items[blank] = 0.0
    schools = Groups.of_sorted(school_of_row[order], school_count)
    region = Groups.single(len(order))
    subject = SubjectScores(items, blank, data, settings)
    on_progress(0.2)
    school_scopes = subject.scopes(schools, subject.moments(schools))
    on_progress(0.5)
    region_scope = subject.scopes(region, school_scopes.moments.combined())
    on_progress(0.6)
    absent_by_school = np.bincount(school_of_row[~sat], minlength=school_count)
    region_figures = region_scope.figures(0, int((~sat).sum()))
    if len(order):
        region_figures["schools"] = school_comparison(
            data.school_codes,
            school_scopes.means,
            schools.sizes,
            float(region_scope.means[0]),
            float(region_scope.standard_deviations[0]),
        )
    present = np.flatnonzero(np.bincount(school_of_row, minlength=school_count) > 0)
    by_school = {}
    for done, school in enumerate(present, start=1):
        by_school[data.school_codes[school]] = school_scopes.figures(school, int(absent_by_school[school]))
        if done % PROGRESS_EVERY_SCHOOLS == 0:
            on_progress(0.6 + 0.4 * done / len(present))
    on_progress(1.0)
    return {"region": region_figures, "by_school": by_school}


@dataclass
class Moments:
    """Per-scope sums of the shifted scores: everything the means, variances and correlations need."""

    counts: np.ndarray
    total_sums: np.ndarray
    total_squares: np.ndarray
    item_sums: np.ndarray
    item_squares: np.ndarray
    item_total_products: np.ndarray
    full_mark_counts: np.ndarray
    zero_counts: np.ndarray
    blank_counts: np.ndarray
    dimension_sums: np.ndarray
    dimension_squares: np.ndarray

    def combined(self):
        """One scope made of all of them (the region made of its schools)."""
        return Moments(**{name: combine_groups(value) for name, value in vars(self).items()})


class SubjectScores:
    """A subject's participants as an items x students matrix grouped by school, shifted per item."""

    def __init__(self, items, blank, data, settings):
        self.data = data
        self.settings = settings
        self.max_scores = np.asarray(data.max_scores, dtype=np.float64)
        self.full_mark = float(self.max_scores.sum())
        self.blank = blank
        self.full_marks = items == self.max_scores[:, None]
        self.zeros = items == 0
        self.totals = items.sum(axis=0)
        self.membership = np.zeros((len(data.item_ids), len(data.dimensions)))
        for column, columns in enumerate(data.dimensions.values()):
            self.membership[columns, column] = 1.0
        self.dimension_full_marks = self.max_scores @ self.membership
        self.shift = np.round(items.mean(axis=1)) if items.shape[1] else np.zeros(len(items))
        items -= self.shift[:, None]
        self.items = items
        self.shifted_totals = self.totals - self.shift.sum()
        self.subtotals = self.membership.T @ items

    def moments(self, groups):
        totals = self.shifted_totals
        return Moments(
            counts=groups.sizes.astype(np.float64),
            total_sums=group_sums(totals, groups),
            total_squares=group_sums(totals * totals, groups),
            item_sums=group_sums(self.items, groups),
            item_squares=group_sums(self.items * self.items, groups),
            item_total_products=group_sums(self.items * totals, groups),
            full_mark_counts=group_sums(self.full_marks, groups),
            zero_counts=group_sums(self.zeros, groups),
            blank_counts=group_sums(self.blank, groups),
            dimension_sums=group_sums(self.subtotals, groups),
            dimension_squares=group_sums(self.subtotals * self.subtotals, groups),
        )

    def scopes(self, groups, moments):
        return ScopeFigures(self, groups, moments)


class ScopeFigures:
    """The figures of each scope (group) of one kind: the region, or every school."""

    def __init__(self, subject, groups, moments):
        self.subject = subject
        self.groups = groups
        self.moments = moments
        self.settings = subject.settings
        counts = moments.counts
        # Scopes without participants divide by zero; their figures are never read.
        with np.errstate(invalid="ignore", divide="ignore"):
            self.means = moments.total_sums / counts + subject.shift.sum()
            self.variances = sample_variances(moments.total_sums, moments.total_squares, counts)
            self.standard_deviations = np.sqrt(self.variances)
            self._items(moments)
            self._dimensions(moments)
            self._distribution()
        self.item_rows = self._rows_of_every_scope(self._item_columns())
        self.dimension_rows = self._rows_of_every_scope(self._dimension_columns())

    def _items(self, moments):
        counts = moments.counts[:, None]
        shift = self.subject.shift
        self.item_means = moments.item_sums / counts + shift
        self.item_variances = sample_variances(moments.item_sums, moments.item_squares, counts)
        rest_sums = moments.total_sums[:, None] - moments.item_sums
        rest_squares = moments.total_squares[:, None] - 2 * moments.item_total_products + moments.item_squares
        self.rest_variances = sample_variances(rest_sums, rest_squares, counts)
        divisor = np.maximum(counts - 1, 1)
        item_total_covariances = (
            moments.item_total_products - moments.item_sums * moments.total_sums[:, None] / counts
        ) / divisor
        item_rest_covariances = (
            moments.item_total_products - moments.item_squares - moments.item_sums * rest_sums / counts
        ) / divisor
        self.item_total_correlations = _correlation(
            item_total_covariances, self.item_variances, self.variances[:, None]
        )
        self.item_rest_correlations = _correlation(item_rest_covariances, self.item_variances, self.rest_variances)
        item_count = len(shift)
        variance_sums = self.item_variances.sum(axis=1)
        self.alpha = _alpha(item_count, variance_sums, self.variances, moments.counts)
        self.alpha_if_deleted = _alpha(
            item_count - 1, variance_sums[:, None] - self.item_variances, self.rest_variances, counts
        )

    def _dimensions(self, moments):
        subject = self.subject
        counts = moments.counts[:, None]
        self.dimension_means = moments.dimension_sums / counts + subject.shift @ subject.membership
        self.dimension_variances = sample_variances(moments.dimension_sums, moments.dimension_squares, counts)
        self.dimension_alpha = _alpha(
            subject.membership.sum(axis=0),
            self.item_variances @ subject.membership,
            self.dimension_variances,
            counts,
        )

    def _distribution(self):
        """Quantiles, minimum and maximum, grades, bands and the upper/lower groups of each scope."""
        subject, groups, settings = self.subject, self.groups, self.settings
        totals = subject.totals
        sorted_totals = np.sort(totals) if groups.count == 1 else sorted_within_groups(totals, groups)
        self.quantiles = {name: group_quantiles(sorted_totals, groups, p) for name, p in PERCENTILES.items()}
        self.minimum = group_quantiles(sorted_totals, groups, 0.0)
        self.maximum = group_quantiles(sorted_totals, groups, 1.0)
        lower_cut = group_quantiles(sorted_totals, groups, settings.group_share)
        upper_cut = group_quantiles(sorted_totals, groups, 1 - settings.group_share)
        upper = totals >= upper_cut[groups.group_of_row]
        lower = totals <= lower_cut[groups.group_of_row]
        full_mark = subject.full_mark
        upper_counts, lower_counts = group_sums(upper, groups), group_sums(lower, groups)
        upper_means = group_sums(np.where(upper, totals, 0.0), groups) / upper_counts
        lower_means = group_sums(np.where(lower, totals, 0.0), groups) / lower_counts
        self.discrimination = (upper_means - lower_means) / full_mark
        upper_items = self._masked_item_sums(upper) / upper_counts[:, None]
        lower_items = self._masked_item_sums(lower) / lower_counts[:, None]
        self.item_discrimination = (upper_items - lower_items) / subject.max_scores
        thresholds = (settings.satisfactory_threshold, settings.good_threshold, settings.excellent_threshold)
        grade = sum((totals >= t * full_mark - TOLERANCE).astype(np.int64) for t in thresholds)
        self.grades = group_counts(groups.group_of_row, grade, groups.count, len(GRADES))
        band = sum(
            (totals >= k * full_mark / settings.band_count - TOLERANCE).astype(np.int64)
            for k in range(1, settings.band_count)
        )
        self.bands = group_counts(groups.group_of_row, band, groups.count, settings.band_count)

    def _masked_item_sums(self, mask):
        """Per-scope item sums over the masked students (unshifted)."""
        items = self.subject.items
        if self.groups.count == 1:
            sums = (items @ mask.astype(np.float64))[None, :]
        else:
            sums = group_sums(items * mask, self.groups)
        return sums + group_sums(mask, self.groups)[:, None] * self.subject.shift

    # ---- output ----------------------------------------------------------------------------

    def figures(self, group, absent_count):
        n = int(self.moments.counts[group])
        if n == 0:
            return {"participant_count": 0, "absent_count": absent_count}
        figures = self._subject_figures(group, n, absent_count)
        figures["items"] = self._item_figures(group)
        figures["dimensions"] = self._dimension_figures(group)
        return figures

    def _subject_figures(self, group, n, absent_count):
        mean = float(self.means[group])
        difficulty = mean / self.subject.full_mark
        discrimination = float(self.discrimination[group])
        grades = self.grades[group].tolist()
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
            "reliability_coefficient": nullable(float(self.alpha[group])),
            "grade_distribution": {
                grade: {"count": grades[index], "percentage": 100.0 * grades[index] / n}
                for index, grade in reversed(list(enumerate(GRADES)))
            },
            "pass_rate": sum(grades[1:]) / n,
            "excellent_rate": grades[3] / n,
            "score_bands": self.bands[group].tolist(),
        }

    def _item_figures(self, group):
        return _records(self.subject.data.item_ids, {name: rows[group] for name, rows in self.item_rows.items()})

    def _dimension_figures(self, group):
        names = list(self.subject.data.dimensions)
        return _records(names, {name: rows[group] for name, rows in self.dimension_rows.items()})

    def _item_columns(self):
        counts = self.moments.counts[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "average_score": self.item_means,
                "standard_deviation": np.sqrt(self.item_variances),
                "difficulty_coefficient": self.item_means / self.subject.max_scores,
                "full_mark_rate": self.moments.full_mark_counts / counts,
                "zero_rate": self.moments.zero_counts / counts,
                "missing_rate": self.moments.blank_counts / counts,
                "item_total_correlation": self.item_total_correlations,
                "item_rest_correlation": self.item_rest_correlations,
                "discrimination_coefficient": self.item_discrimination,
                "alpha_if_deleted": self.alpha_if_deleted,
            }

    def _dimension_columns(self):
        full_marks = self.subject.dimension_full_marks
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "average_score": self.dimension_means,
                "standard_deviation": np.sqrt(self.dimension_variances),
                "full_mark": np.broadcast_to(full_marks, self.dimension_means.shape),
                "difficulty_coefficient": self.dimension_means / full_marks,
                "reliability_coefficient": self.dimension_alpha,
            }

    @staticmethod
    def _rows_of_every_scope(columns):
        """Each (scopes x entries) column as nested Python lists, NaN as None, converted in one go."""
        return {name: python_values(values) for name, values in columns.items()}


def _records(keys, columns):
    """{key: {name: value}} from equally long columns of Python values."""
    names = list(columns)
    return {key: dict(zip(names, row)) for key, row in zip(keys, zip(*columns.values()))}


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
