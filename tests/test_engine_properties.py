"""Invariants of the engine on random data (hypothesis), and edge cases of STATISTICS.md."""
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.engine import ABSENT_MARK
from jobs.engine.exam import ExamSubjectData, exam_subject_figures
from jobs.engine.questionnaire import QuestionnaireSubjectData, questionnaire_subject_figures
from tests.helpers import compare_figures

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def exam_data(draw, max_students=40, max_items=6, max_schools=4):
    students = draw(st.integers(1, max_students))
    items = draw(st.integers(1, max_items))
    schools = draw(st.integers(1, max_schools))
    maxima = draw(st.lists(st.integers(1, 5), min_size=items, max_size=items))
    cells = draw(
        st.lists(
            st.lists(st.one_of(st.integers(0, 5), st.none()), min_size=items, max_size=items),
            min_size=students,
            max_size=students,
        )
    )
    scores = np.array(
        [[np.nan if value is None else min(value, maxima[j]) for j, value in enumerate(row)] for row in cells],
        dtype=np.float64,
    )
    school_of_row = np.array(draw(st.lists(st.integers(0, schools - 1), min_size=students, max_size=students)))
    return ExamSubjectData(
        scores=scores,
        max_scores=np.array(maxima, dtype=np.float64),
        row_absent=np.zeros(students, dtype=bool),
        school_of_row=school_of_row,
        school_codes=[f"S{index}" for index in range(schools)],
        item_ids=[f"i{j}" for j in range(items)],
        dimensions={"first": [0], "all": list(range(items))},
    )


def _same(first, second, tolerance=1e-9):
    mismatches = []
    compare_figures(first, second, "", mismatches, tolerance)
    return mismatches


@SETTINGS
@given(exam_data(), st.randoms())
def test_exam_results_do_not_depend_on_row_order(data, random):
    order = list(range(len(data.scores)))
    random.shuffle(order)
    shuffled = ExamSubjectData(
        data.scores[order], data.max_scores, data.row_absent[order], data.school_of_row[order],
        data.school_codes, data.item_ids, data.dimensions,
    )
    assert not _same(exam_subject_figures(shuffled), exam_subject_figures(data))


@SETTINGS
@given(exam_data(max_schools=1))
def test_the_region_of_a_one_school_batch_equals_that_school(data):
    result = exam_subject_figures(data)
    region = {key: value for key, value in result["region"].items() if key != "schools"}
    assert not _same(result["by_school"]["S0"], region)
    assert not _same(region, result["by_school"]["S0"])


@SETTINGS
@given(st.lists(st.integers(0, 4), min_size=2, max_size=30).filter(lambda column: len(set(column)) > 1))
def test_alpha_of_two_identical_items_is_one(column):
    scores = np.array([column, column], dtype=np.float64).T
    data = ExamSubjectData(scores, np.array([4.0, 4.0]), np.zeros(len(column), bool), np.zeros(len(column), int), ["S"])
    assert abs(exam_subject_figures(data)["region"]["reliability_coefficient"] - 1) < 1e-12


@SETTINGS
@given(exam_data())
def test_grade_percentages_sum_to_100_and_json_holds_no_nan(data):
    result = exam_subject_figures(data)
    for figures in [result["region"], *result["by_school"].values()]:
        if figures["participant_count"]:
            assert abs(sum(grade["percentage"] for grade in figures["grade_distribution"].values()) - 100) < 1e-9
            assert sum(figures["score_bands"]) == figures["participant_count"]
    json.dumps(result, allow_nan=False)


@SETTINGS
@given(
    st.lists(st.lists(st.one_of(st.integers(1, 4), st.none()), min_size=3, max_size=3), min_size=1, max_size=30),
    st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_option_percentages_sum_to_100(answers, reverse):
    scores = np.array([[np.nan if value is None else value for value in row] for row in answers], dtype=np.float64)
    data = QuestionnaireSubjectData(
        scores, np.array([4, 4, 4]), np.array(reverse), np.zeros(len(answers), int), ["S"], ["a", "b", "c"],
        {"all": [0, 1, 2]},
    )
    result = questionnaire_subject_figures(data)
    json.dumps(result, allow_nan=False)
    for item in result["region"].get("items", {}).values():
        if item["response_count"]:
            total = sum(option["percentage"] for option in item["option_distribution"].values())
            assert abs(total - 100) < 1e-9


def _exam(scores, schools=None, maxima=None, absent=None):
    scores = np.array(scores, dtype=np.float64)
    schools = np.zeros(len(scores), int) if schools is None else np.array(schools)
    return exam_subject_figures(
        ExamSubjectData(
            scores,
            np.array(maxima or [2.0] * scores.shape[1]),
            np.zeros(len(scores), bool) if absent is None else np.array(absent),
            schools,
            [f"S{index}" for index in range(schools.max() + 1)],
        )
    )


def test_all_students_equal_leave_correlations_and_alphas_null():
    region = _exam([[1, 2], [1, 2], [1, 2]])["region"]

    assert region["reliability_coefficient"] is None
    for item in region["items"].values():
        assert item["standard_deviation"] == 0
        assert item["item_total_correlation"] is None and item["item_rest_correlation"] is None
        assert item["alpha_if_deleted"] is None


def test_one_student_gives_zero_spread_and_null_correlations():
    region = _exam([[2, 1]])["region"]

    assert region["standard_deviation"] == 0 and region["reliability_coefficient"] is None
    assert region["items"]["1"]["item_total_correlation"] is None


def test_an_item_nobody_answered_is_missing_for_everyone():
    nan = np.nan
    region = _exam([[1, nan], [2, nan], [0, nan]])["region"]

    item = region["items"]["2"]
    assert (item["average_score"], item["missing_rate"], item["zero_rate"]) == (0, 1, 1)
    assert item["item_total_correlation"] is None and item["item_rest_correlation"] is None


def test_a_school_of_absentees_reports_counts_only_and_is_left_out_of_the_comparison():
    nan = np.nan
    result = _exam([[1, 2], [2, 2], [ABSENT_MARK, nan], [nan, nan]], schools=[0, 0, 1, 1])

    assert result["by_school"]["S1"] == {"participant_count": 0, "absent_count": 2}
    assert list(result["region"]["schools"]) == ["S0"]
    assert result["region"]["absent_count"] == 2


def test_a_questionnaire_item_nobody_answered_has_null_shares():
    nan = np.nan
    data = QuestionnaireSubjectData(
        np.array([[1, nan], [4, nan]]), np.array([4, 4]), np.array([False, False]), np.zeros(2, int), ["S"],
        ["a", "b"], {"d": [0, 1]},
    )

    item = questionnaire_subject_figures(data)["region"]["items"]["b"]

    assert item["response_count"] == 0
    assert all(option == {"count": 0, "percentage": None} for option in item["option_distribution"].values())
    assert item["average_score"] is None and item["standard_deviation"] is None and item["favorable_rate"] is None
