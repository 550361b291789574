"""Questionnaire subjects: option distributions, means, favourable rates and dimensions of
STATISTICS.md, for the region and every school (group).

Answers are whole numbers 1..K (blank = NaN, not 0); reverse-keyed items are recoded K + 1 - x
before anything else. The row-level arrays are built once as items x respondents, grouped by
school; each scope kind (schools, region) is then a set of grouped sums over them.
"""
from dataclasses import dataclass, field

import numpy as np

from jobs.engine import PROGRESS_EVERY_SCHOOLS, ignore_progress, python_values
from jobs.engine.grouping import Groups, columns_in_order, combine_groups, group_sums, order_by_group, sample_variances


@dataclass
class QuestionnaireSubjectData:
    """One subject's sheet rows (respondents x items), NaN for blank."""

    scores: np.ndarray
    options: np.ndarray
    reverse: np.ndarray
    school_of_row: np.ndarray
    school_codes: list
    item_ids: list
    dimensions: dict = field(default_factory=dict)


def questionnaire_subject_figures(data: QuestionnaireSubjectData, on_progress=ignore_progress):
    """{"region": figures, "by_school": {code: figures}} for schools with rows in the sheet;
    on_progress(fraction) is called as the work advances."""
    school_count = len(data.school_codes)
    school_of_row = np.asarray(data.school_of_row, dtype=np.int64)
    order = order_by_group(school_of_row)
    answers = Answers(columns_in_order(data.scores, order), data)
    on_progress(0.3)
    school_sums = answers.sums(Groups.of_sorted(school_of_row[order], school_count))
    on_progress(0.5)
    schools = QuestionnaireScopes(answers, school_sums)
    region = QuestionnaireScopes(answers, school_sums.combined())
    on_progress(0.6)
    present = np.flatnonzero(np.bincount(school_of_row, minlength=school_count) > 0)
    by_school = {}
    for done, school in enumerate(present, start=1):
        by_school[data.school_codes[school]] = schools.figures(school)
        if done % PROGRESS_EVERY_SCHOOLS == 0:
            on_progress(0.6 + 0.4 * done / len(present))
    on_progress(1.0)
    return {"region": region.figures(0), "by_school": by_school}


@dataclass
class QuestionnaireSums:
    """Per-scope sums over the answers; a scope's figures need nothing else.

    Answers are validated whole numbers 1..K, so the option counts alone give each item's
    responses, sums, sums of squares and favourable answers."""

    participants: np.ndarray
    option_counts: np.ndarray
    respondents: np.ndarray
    respondent_mean_sums: np.ndarray
    respondent_mean_squares: np.ndarray
    complete_counts: list
    complete_item_sums: list
    complete_item_squares: list
    complete_total_sums: list
    complete_total_squares: list

    def combined(self):
        """One scope made of all of them (the region made of its schools)."""
        return QuestionnaireSums(**{name: combine_groups(value) for name, value in vars(self).items()})


class Answers:
    """Row-level arrays of a questionnaire (items x respondents grouped by school), computed once."""

    def __init__(self, answers, data):
        self.data = data
        self.options = np.asarray(data.options, dtype=np.int64)
        self.option_values = np.arange(1, int(self.options.max(initial=0)) + 1, dtype=np.float64)
        reverse = np.asarray(data.reverse, dtype=bool)
        answers[reverse] = (self.options[reverse, None] + 1) - answers[reverse]
        self.answers = answers
        self.answered = ~np.isnan(answers)
        self.values = np.where(self.answered, answers, 0.0)
        self.dimension_columns = list(data.dimensions.values())
        membership = np.zeros((len(data.dimensions), len(data.item_ids)))
        for row, columns in enumerate(self.dimension_columns):
            membership[row, columns] = 1.0
        self.membership = membership
        answered_counts = membership.astype(np.float32) @ self.answered.astype(np.float32)
        self.responded = answered_counts > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            respondent_means = (membership @ self.values) / answered_counts
        # Shifted near zero (by a whole number per dimension) so the one-pass variance keeps its digits.
        shift_sums = np.where(self.responded, respondent_means, 0.0).sum(axis=1)
        self.mean_shift = np.round(shift_sums / np.maximum(self.responded.sum(axis=1), 1))
        self.respondent_means = np.where(self.responded, respondent_means - self.mean_shift[:, None], 0.0)

    def sums(self, groups):
        listwise = [self._complete_sums(columns, groups) for columns in self.dimension_columns]
        return QuestionnaireSums(
            participants=group_sums(self.answered.any(axis=0), groups),
            option_counts=np.stack([group_sums(self.answers == value, groups) for value in self.option_values], axis=-1),
            respondents=group_sums(self.responded, groups),
            respondent_mean_sums=group_sums(self.respondent_means, groups),
            respondent_mean_squares=group_sums(self.respondent_means * self.respondent_means, groups),
            complete_counts=[entry[0] for entry in listwise],
            complete_item_sums=[entry[1] for entry in listwise],
            complete_item_squares=[entry[2] for entry in listwise],
            complete_total_sums=[entry[3] for entry in listwise],
            complete_total_squares=[entry[4] for entry in listwise],
        )

    def _complete_sums(self, columns, groups):
        """Sums over the respondents who answered every item of a dimension (for its listwise alpha)."""
        complete = self.answered[columns].all(axis=0)
        items = self.values[columns] * complete
        totals = items.sum(axis=0)
        return (
            group_sums(complete, groups),
            group_sums(items, groups),
            group_sums(items * items, groups),
            group_sums(totals, groups),
            group_sums(totals * totals, groups),
        )


class QuestionnaireScopes:
    """The figures of each scope (group) of one kind, from its sums."""

    def __init__(self, answers, sums: QuestionnaireSums):
        self.answers = answers
        self.data = answers.data
        self.sums = sums
        counts = sums.option_counts
        values = answers.option_values
        top_two = values >= (answers.options - 1)[:, None]  # items x options
        responses = counts.sum(axis=-1)
        value_sums = counts @ values
        value_squares = counts @ (values * values)
        favourable = (counts * top_two).sum(axis=-1)
        dimension_answers = responses @ answers.membership.T
        with np.errstate(invalid="ignore", divide="ignore"):
            self.responses = responses.astype(np.int64).tolist()
            self.option_count_rows = counts.astype(np.int64).tolist()
            self.option_percentage_rows = python_values(100.0 * counts / responses[..., None])
            self.item_columns = {
                "average_score": python_values(value_sums / responses),
                "standard_deviation": python_values(np.sqrt(sample_variances(value_sums, value_squares, responses))),
                "favorable_rate": python_values(favourable / responses),
            }
            self.dimension_columns = {
                "average_score": python_values(sums.respondent_mean_sums / sums.respondents + answers.mean_shift),
                "standard_deviation": python_values(
                    np.sqrt(sample_variances(sums.respondent_mean_sums, sums.respondent_mean_squares, sums.respondents))
                ),
                "favorable_rate": python_values((favourable @ answers.membership.T) / dimension_answers),
                "reliability_coefficient": python_values(
                    np.column_stack(
                        [self._listwise_alpha(index, len(columns)) for index, columns in enumerate(answers.dimension_columns)]
                        or [np.zeros(len(sums.participants))]
                    )
                ),
            }

    def _listwise_alpha(self, index, item_count):
        """Alpha over the respondents who answered every item of the dimension."""
        sums = self.sums
        counts = sums.complete_counts[index]
        if item_count < 2:
            return np.full(len(counts), np.nan)
        item_variances = sample_variances(
            sums.complete_item_sums[index], sums.complete_item_squares[index], counts[:, None]
        )
        total_variances = sample_variances(
            sums.complete_total_sums[index], sums.complete_total_squares[index], counts
        )
        alpha = item_count / (item_count - 1) * (1 - item_variances.sum(axis=1) / total_variances)
        return np.where((counts >= 2) & (total_variances > 0), alpha, np.nan)

    def figures(self, group):
        participants = int(self.sums.participants[group])
        if participants == 0:
            return {"participant_count": 0}
        return {
            "participant_count": participants,
            "items": self._item_figures(group),
            "dimensions": self._dimension_figures(group),
        }

    def _item_figures(self, group):
        option_names = [str(int(value)) for value in self.answers.option_values]
        options = self.answers.options.tolist()
        counts, percentages = self.option_count_rows[group], self.option_percentage_rows[group]
        columns = {name: rows[group] for name, rows in self.item_columns.items()}
        figures = {}
        for index, item_id in enumerate(self.data.item_ids):
            figures[item_id] = {
                "option_distribution": {
                    name: {"count": count, "percentage": percentage}
                    for name, count, percentage in zip(option_names[: options[index]], counts[index], percentages[index])
                },
                **{name: values[index] for name, values in columns.items()},
                "response_count": self.responses[group][index],
            }
        return figures

    def _dimension_figures(self, group):
        columns = {name: rows[group] for name, rows in self.dimension_columns.items()}
        return {
            name: {key: values[index] for key, values in columns.items()}
            for index, name in enumerate(self.data.dimensions)
        }
