"""The exam subject figures of STATISTICS.md on small hand-made data, edge cases included."""
import json

import numpy as np
import pytest

from jobs.engine import ABSENT_MARK
from jobs.engine.exam import ExamSubjectData, exam_subject_figures
from tests.helpers import compare_figures


def _figures(scores, max_scores, schools=None, row_absent=None):
    scores = np.array(scores, dtype=np.float64)
    rows = len(scores)
    schools = np.zeros(rows, dtype=np.int64) if schools is None else np.array(schools, dtype=np.int64)
    data = ExamSubjectData(
        scores=scores,
        max_scores=np.array(max_scores, dtype=np.float64),
        row_absent=np.zeros(rows, dtype=bool) if row_absent is None else np.array(row_absent),
        school_of_row=schools,
        school_codes=[f"S{index}" for index in range(int(schools.max()) + 1 if rows else 1)],
    )
    return exam_subject_figures(data)


def test_totals_statistics_and_percentiles_follow_numpy_linear_quantiles():
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 5, size=(101, 6)).astype(float)
    schools = rng.integers(0, 3, size=101)

    result = _figures(scores, [4] * 6, schools)

    totals = scores.sum(axis=1)
    region = result["region"]
    assert region["participant_count"] == 101
    assert region["average_score"] == pytest.approx(totals.mean(), abs=1e-12)
    assert region["standard_deviation"] == pytest.approx(totals.std(ddof=1), abs=1e-12)
    for name, p in {"p10": 10, "p25": 25, "p50": 50, "p75": 75, "p90": 90}.items():
        assert region["percentiles"][name] == np.percentile(totals, p)
    for school in range(3):
        school_totals = totals[schools == school]
        figures = result["by_school"][f"S{school}"]
        assert figures["median_score"] == np.median(school_totals)
        assert figures["min_score"] == school_totals.min()
        assert figures["max_score"] == school_totals.max()


def test_cronbach_alpha_keeps_every_item_and_matches_the_formula():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 3, size=(40, 5)).astype(float)
    scores[:, 4] = 1  # zero variance: kept, unlike psych::alpha

    alpha = _figures(scores, [2] * 5)["region"]["reliability_coefficient"]

    item_variance = scores.var(axis=0, ddof=1).sum()
    total_variance = scores.sum(axis=1).var(ddof=1)
    assert alpha == pytest.approx(5 / 4 * (1 - item_variance / total_variance), abs=1e-12)


def test_two_identical_items_have_alpha_one():
    column = np.array([0, 1, 2, 2, 3, 1], dtype=float)
    assert _figures(np.column_stack([column, column]), [3, 3])["region"]["reliability_coefficient"] == pytest.approx(1)


def test_all_students_equal_gives_null_alpha_and_zero_spread():
    region = _figures([[1, 2]] * 5, [2, 2])["region"]

    assert region["standard_deviation"] == 0
    assert region["reliability_coefficient"] is None
    assert region["discrimination_coefficient"] == 0


def test_one_student_has_sd_zero_and_null_alpha():
    region = _figures([[3, 1]], [4, 4])["region"]

    assert region["participant_count"] == 1
    assert region["standard_deviation"] == 0
    assert region["reliability_coefficient"] is None
    assert region["percentiles"] == {"p10": 4, "p25": 4, "p50": 4, "p75": 4, "p90": 4}


def test_absentees_are_counted_apart_and_blanks_count_as_zero():
    nan = np.nan
    scores = [[2, 2], [nan, 1], [nan, nan], [ABSENT_MARK, 2], [1, 1]]
    result = _figures(scores, [2, 2], schools=[0, 0, 0, 1, 1], row_absent=[False, False, False, False, True])

    assert result["region"]["participant_count"] == 2
    assert result["region"]["absent_count"] == 3
    assert result["region"]["average_score"] == 2.5  # (4 + 1) / 2, the blank counted as 0
    assert result["by_school"]["S0"]["absent_count"] == 1
    assert result["by_school"]["S1"] == {"participant_count": 0, "absent_count": 2}


def test_a_school_of_absentees_reports_only_counts_and_json_has_no_nan():
    result = _figures([[1, 1], [np.nan, np.nan]], [2, 2], schools=[0, 1])

    assert result["by_school"]["S1"] == {"participant_count": 0, "absent_count": 1}
    assert "NaN" not in json.dumps(result)


def test_grade_thresholds_and_the_top_band_include_exact_totals():
    # F = 20: 17 is exactly 85 %, 14 exactly 70 %, 12 exactly 60 %, 20 the full mark.
    totals = [17, 14, 12, 11.9, 20, 0]
    region = _figures([[t] for t in totals], [20])["region"]

    grades = {name: entry["count"] for name, entry in region["grade_distribution"].items()}
    assert grades == {"excellent": 2, "good": 1, "satisfactory": 1, "needs_improvement": 2}
    assert region["pass_rate"] == pytest.approx(4 / 6)
    assert region["excellent_rate"] == pytest.approx(2 / 6)
    assert region["score_bands"] == [1, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert sum(entry["percentage"] for entry in region["grade_distribution"].values()) == pytest.approx(100)


def test_upper_and_lower_groups_include_ties_at_the_cuts():
    totals = np.array([0, 1, 1, 1, 2, 3, 3, 3, 4, 4], dtype=float)
    region = _figures(totals.reshape(-1, 1), [4])["region"]

    low_cut, high_cut = np.percentile(totals, 27), np.percentile(totals, 73)
    upper = totals[totals >= high_cut].mean()
    lower = totals[totals <= low_cut].mean()
    assert region["discrimination_coefficient"] == pytest.approx((upper - lower) / 4)


def test_results_do_not_depend_on_row_order():
    rng = np.random.default_rng(11)
    scores = rng.integers(0, 4, size=(60, 4)).astype(float)
    schools = rng.integers(0, 4, size=60)
    order = rng.permutation(60)

    first = _figures(scores, [3] * 4, schools)
    second = _figures(scores[order], [3] * 4, schools[order])

    # Equal up to the last bits of floating-point sums taken in another order.
    mismatches = []
    compare_figures(first, second, "", mismatches, tolerance=1e-12)
    assert not mismatches


def test_levels_follow_the_thresholds():
    from jobs.engine.exam import difficulty_level, discrimination_level

    assert [difficulty_level(value) for value in (0.71, 0.7, 0.3, 0.29)] == ["easy", "medium", "medium", "hard"]
    assert [discrimination_level(value) for value in (0.4, 0.39, 0.3, 0.2, 0.19)] == [
        "excellent",
        "good",
        "good",
        "acceptable",
        "poor",
    ]
