"""Questionnaire subjects: option distributions, means, favourable rates and dimensions of
STATISTICS.md, for the region and every school (group).

Answers are whole numbers 1..K (blank = NaN, not 0); reverse-keyed items are recoded K + 1 - x
before anything else. Sums of such small integers are exact in float64, so one-pass variance
formulas lose nothing here.
"""
from dataclasses import dataclass, field

import numpy as np

from jobs.engine.grouping import group_sums, sort_groups


@dataclass
class QuestionnaireSubjectData:
    scores: np.ndarray
    options: np.ndarray
    reverse: np.ndarray
    school_of_row: np.ndarray
    school_codes: list
    item_ids: list
    dimensions: dict = field(default_factory=dict)


def recoded_answers(data):
    answers = data.scores.astype(np.float64, copy=True)
    reverse = np.asarray(data.reverse, dtype=bool)
    answers[:, reverse] = (data.options[reverse] + 1) - answers[:, reverse]
    return answers


def questionnaire_subject_figures(data: QuestionnaireSubjectData):
    """{"region": figures, "by_school": {code: figures}} for schools with rows in the sheet."""
    answers = recoded_answers(data)
    school_count = len(data.school_codes)
    region = QuestionnaireScopes(answers, np.zeros(len(answers), np.int64), 1, data)
    schools = QuestionnaireScopes(answers, data.school_of_row.astype(np.int64), school_count, data)
    present = np.bincount(data.school_of_row, minlength=school_count) > 0
    return {
        "region": region.figures(0),
        "by_school": {data.school_codes[school]: schools.figures(school) for school in np.flatnonzero(present)},
    }


def _sample_variance(sums, squares, counts):
    """Sample variance from sums (n - 1; 0 for one value); NaN where nothing was answered."""
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = (squares - sums * sums / counts) / np.maximum(counts - 1, 1)
    return np.where(counts > 0, np.maximum(variance, 0.0), np.nan)


def _null(value):
    return None if np.isnan(value) else float(value)


class QuestionnaireScopes:
    def __init__(self, answers, group_of_row, group_count, data):
        self.data = data
        groups = sort_groups(group_of_row, group_count)
        self.groups = groups
        sorted_answers = answers[groups.order]
        answered = ~np.isnan(sorted_answers)
        values = np.where(answered, sorted_answers, 0.0)
        options = np.asarray(data.options, dtype=np.int64)
        self.participants = group_sums(answered.any(axis=1), groups)
        self.response_counts = group_sums(answered, groups)
        self.option_counts = [group_sums(sorted_answers == option, groups) for option in range(1, options.max() + 1)]
        sums = group_sums(values, groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.item_means = np.where(self.response_counts > 0, sums / self.response_counts, np.nan)
        self.item_variances = _sample_variance(sums, group_sums(values * values, groups), self.response_counts)
        favourable = answered & (sorted_answers >= options - 1)
        self.favourable_counts = group_sums(favourable, groups)
        self._dimensions(sorted_answers, answered, values, favourable)

    def _dimensions(self, answers, answered, values, favourable):
        groups = self.groups
        membership = np.zeros((len(self.data.item_ids), len(self.data.dimensions)))
        for column, columns in enumerate(self.data.dimensions.values()):
            membership[columns, column] = 1.0
        answered_counts = answered @ membership
        with np.errstate(invalid="ignore", divide="ignore"):
            respondent_means = (values @ membership) / answered_counts
        responded = answered_counts > 0
        respondent_means = np.where(responded, respondent_means, 0.0)
        respondents = group_sums(responded, groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.dimension_means = np.where(respondents > 0, group_sums(respondent_means, groups) / respondents, np.nan)
        # Respondent means are fractions, so their spread is taken around the group mean (two passes).
        deviations = np.where(responded, respondent_means - self.dimension_means[groups.group_of_row], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.dimension_variances = np.where(
                respondents > 0, group_sums(deviations * deviations, groups) / np.maximum(respondents - 1, 1), np.nan
            )
        self.dimension_answers = group_sums(answered_counts, groups)
        self.dimension_favourable = group_sums(favourable @ membership, groups)
        self.dimension_alpha = np.column_stack(
            [self._listwise_alpha(values, answered, columns) for columns in self.data.dimensions.values()]
        ) if self.data.dimensions else np.zeros((groups.count, 0))

    def _listwise_alpha(self, values, answered, columns):
        """Alpha over the respondents who answered every item of the dimension."""
        groups = self.groups
        if len(columns) < 2:
            return np.full(groups.count, np.nan)
        complete = answered[:, columns].all(axis=1)
        items = values[:, columns] * complete[:, None]
        totals = items.sum(axis=1)
        counts = group_sums(complete, groups)
        item_variances = _sample_variance(group_sums(items, groups), group_sums(items * items, groups), counts[:, None])
        total_variances = _sample_variance(group_sums(totals, groups), group_sums(totals * totals, groups), counts)
        m = len(columns)
        defined = (counts >= 2) & (total_variances > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = m / (m - 1) * (1 - item_variances.sum(axis=1) / total_variances)
        return np.where(defined, alpha, np.nan)

    def figures(self, group):
        participants = int(self.participants[group])
        if participants == 0:
            return {"participant_count": 0}
        return {
            "participant_count": participants,
            "items": {item_id: self._item(group, index) for index, item_id in enumerate(self.data.item_ids)},
            "dimensions": {name: self._dimension(group, index) for index, name in enumerate(self.data.dimensions)},
        }

    def _item(self, group, index):
        responses = int(self.response_counts[group, index])
        option_count = int(self.data.options[index])
        distribution = {}
        for option in range(1, option_count + 1):
            count = int(self.option_counts[option - 1][group, index])
            distribution[str(option)] = {"count": count, "percentage": 100.0 * count / responses if responses else None}
        return {
            "option_distribution": distribution,
            "average_score": _null(self.item_means[group, index]),
            "standard_deviation": _null(np.sqrt(self.item_variances[group, index])),
            "favorable_rate": float(self.favourable_counts[group, index]) / responses if responses else None,
            "response_count": responses,
        }

    def _dimension(self, group, index):
        answers = self.dimension_answers[group, index]
        return {
            "average_score": _null(self.dimension_means[group, index]),
            "standard_deviation": _null(np.sqrt(self.dimension_variances[group, index])),
            "favorable_rate": float(self.dimension_favourable[group, index] / answers) if answers else None,
            "reliability_coefficient": _null(self.dimension_alpha[group, index]),
        }
