"""Uploading question tables and score sheets: encodings, layouts, and bad files that change nothing."""
import codecs

import numpy as np
import pytest
from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.models import Batch, BatchHistory, Question, School, ScoreBlock, ScoreSheet
from dashboard.score_blocks import decode_blocks
from jobs.engine import ABSENT_MARK
from tests.conftest import realdata_or_skip
from tests.helpers import csv_bytes, upload

QUESTIONS = [
    ["subject", "question_id", "max_score", "dimensions", "question_type", "reverse", "options"],
    ["语文", "c1", 4, "阅读", "exam", 0, ""],
    ["语文", "c2", 6, "阅读;写作", "exam", 0, ""],
    ["数学", "m1", 5, "", "exam", 0, ""],
    ["问卷", "q1", 5, "兴趣", "questionnaire", 1, 5],
]
SCORES = [
    ["考号", "学校代码", "学校名称", "c1", "c2", "m1", "q1"],
    ["000123", "S01", "第一中学", 4, 5.5, 3, 2],
    ["000124", "S01", "第一中学", "", "", "缺考", ""],
    ["000125", "S02", "第二中学", 0, 6, 5, 5],
]


@pytest.fixture
def batch(api):
    assert api.post("/batches", json={"batch_code": "b1"}).status_code == 201
    return db.session.scalar(select(Batch).where(Batch.batch_code == "b1"))


def _table_counts():
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Question, School, ScoreSheet, ScoreBlock, BatchHistory)
    }


def _problems(response):
    assert response.status_code == 422, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] == "validation_failed"
    return body["details"]


def test_an_upload_in_gb18030_with_chinese_headers_is_stored(api, batch):
    response = upload(
        api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("scores.csv", csv_bytes(SCORES, "gb18030"))
    )

    assert response.status_code == 200, response.get_json()
    summary = response.get_json()
    assert summary["student_count"] == 3
    assert summary["school_count"] == 2
    assert summary["question_count"] == 4
    db.session.refresh(batch)
    assert batch.data_version == 1
    names = dict(db.session.execute(select(School.code, School.name)).all())
    assert names == {"S01": "第一中学", "S02": "第二中学"}
    dimensions = db.session.scalar(select(Question.dimensions).where(Question.question_id == "c2"))
    assert dimensions == ["阅读", "写作"]


def test_student_ids_keep_their_leading_zeros(api, batch):
    upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("scores.csv", csv_bytes(SCORES, "utf-8-sig")))

    sheet = db.session.scalar(select(ScoreSheet))
    stored = decode_blocks(sheet.blocks, len(sheet.question_ids))

    assert stored.student_ids == ["000123", "000124", "000125"]
    assert sheet.question_ids == ["c1", "c2", "m1", "q1"]
    assert stored.scores[:, 0].tolist() == [4, 5.5, 3, 2]
    assert stored.scores[2, 1] == ABSENT_MARK and np.isnan(stored.scores[0, 1])


def test_a_subject_per_sheet_and_english_headers_are_accepted(api, batch):
    chinese = [["student_id", "school_code", "school_name", "c1", "c2"], ["1", "S1", "One", 1, 2]]
    rest = [["student_id", "school_code", "school_name", "m1", "q1"], ["1", "S1", "One", 3, 4], ["2", "S2", "Two", 1, ""]]

    response = upload(
        api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("c.csv", csv_bytes(chinese)), ("m.csv", csv_bytes(rest))
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["student_count"] == 2
    assert [sheet["rows"] for sheet in response.get_json()["sheets"]] == [1, 2]


def test_the_real_bfi2_sheet_in_gb18030_is_read(api, batch):
    folder = realdata_or_skip("bfi2")
    response = upload(
        api,
        "b1",
        ("questions.csv", (folder / "questions.csv").read_bytes()),
        ("scores.csv", (folder / "scores.csv").read_bytes()),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["student_count"] == 1733
    assert response.get_json()["school_count"] == 8


def test_a_file_in_another_encoding_is_refused_and_nothing_is_stored(api, batch):
    before = _table_counts()
    utf16 = codecs.BOM_UTF16_LE + "\n".join(",".join(map(str, row)) for row in SCORES).encode("utf-16-le")

    problems = _problems(upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("scores.csv", utf16)))

    assert problems == [
        {
            "file": "scores.csv",
            "row": None,
            "column": None,
            "value": None,
            "message": "The file is neither UTF-8 nor GB18030 (GBK) text; save it as CSV UTF-8.",
        }
    ]
    assert _table_counts() == before


def test_every_problem_is_listed_with_file_row_column_and_value(api, batch):
    before = _table_counts()
    scores = [
        ["考号", "学校代码", "c1", "c2", "m1", "q1", "x9"],
        ["1", "S1", 9, 2, 3, 2, 1],
        ["2", "S1", 1, "abc", 3, 7, 1],
        ["2", "", 1, 2, -1, 2, 1],
    ]

    problems = _problems(upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("scores.csv", csv_bytes(scores))))

    # The unknown column stops the sheet before its rows are read; fix it and the rows are checked.
    assert problems == [
        {
            "file": "scores.csv",
            "row": 1,
            "column": "x9",
            "value": "x9",
            "message": "Column 'x9' is not a question id of the question table.",
        }
    ]
    scores = [row[:-1] for row in scores]
    problems = _problems(upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("scores.csv", csv_bytes(scores))))
    found = {(p["row"], p["column"], p["value"]) for p in problems}
    assert (2, "c1", "9") in found  # above the maximum of 4
    assert (3, "c2", "abc") in found  # not a number
    assert (3, "q1", "7") in found  # questionnaire answer out of 1..5
    assert (4, "学校代码", None) in found  # blank school code
    assert (4, "m1", "-1") in found  # below 0
    assert (4, None, "2") in found  # student id twice
    assert len(problems) == 6
    assert _table_counts() == before


def test_missing_id_column_unknown_question_and_empty_file_are_reported(api, batch):
    before = _table_counts()
    no_id = [["学校代码", "c1", "c2", "m1", "q1"], ["S1", 1, 1, 1, 1]]

    problems = _problems(
        upload(
            api,
            "b1",
            ("questions.csv", csv_bytes(QUESTIONS)),
            ("no_id.csv", csv_bytes(no_id)),
            ("empty.csv", b""),
        )
    )

    messages = {(p["file"], p["message"]) for p in problems}
    assert ("no_id.csv", "Missing the student id column (考号, 学号 or student_id).") in messages
    assert ("empty.csv", "The file is empty.") in messages
    assert _table_counts() == before


def test_a_question_without_a_column_and_a_bad_question_table_are_reported(api, batch):
    questions = QUESTIONS + [["数学", "m2", "zero", "", "exam", 0, ""], ["数学", "m1", 5, "", "exam", 0, ""]]

    problems = _problems(upload(api, "b1", ("questions.csv", csv_bytes(questions)), ("s.csv", csv_bytes(SCORES))))

    found = {(p["file"], p["row"], p["column"]) for p in problems}
    assert ("questions.csv", 6, "max_score") in found
    assert ("questions.csv", 7, "question_id") in found  # m1 listed twice


def test_a_sheet_that_misses_a_question_is_refused(api, batch):
    scores = [row[:-1] for row in SCORES]

    problems = _problems(upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(scores))))

    assert [p["message"] for p in problems] == ["Question 'q1' has no column in any score sheet."]


def test_uploading_without_files_is_refused(api, batch):
    response = api.post("/batches/b1/data", data={}, content_type="multipart/form-data")

    messages = [p["message"] for p in _problems(response)]
    assert messages == ["The question table is missing.", "At least one score sheet is needed."]


def test_a_new_upload_replaces_the_data_and_bumps_the_version(api, batch):
    upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(SCORES)))
    response = upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(SCORES[:2])))

    assert response.get_json()["data_version"] == 2
    assert response.get_json()["student_count"] == 1
    assert db.session.scalar(select(func.count()).select_from(ScoreSheet)) == 1
    assert db.session.scalar(select(func.count()).select_from(Question)) == 4


def test_a_school_level_batch_takes_rows_of_its_school_only(api):
    api.post("/batches", json={"batch_code": "s1", "aggregation_level": "school", "school_id": "S01"})

    response = upload(
        api, "s1", ("questions.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(SCORES)), aggregation_level="school",
        school_id="S01",
    )

    problems = _problems(response)
    assert [(p["row"], p["value"]) for p in problems] == [(4, "S02")]


def test_swapped_files_are_named_as_swapped(api, batch):
    problems = _problems(upload(api, "b1", ("scores.csv", csv_bytes(SCORES)), ("questions.csv", csv_bytes(QUESTIONS))))

    messages = [(p["file"], p["message"]) for p in problems]
    assert messages == [
        (
            "scores.csv",
            "This looks like a score sheet (it has a student id column), not the question table; "
            "check which file went into which field.",
        )
    ]


def test_a_question_table_given_as_a_score_sheet_is_named(api, batch):
    problems = _problems(
        upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(SCORES)), ("q.csv", csv_bytes(QUESTIONS)))
    )

    assert [p["file"] for p in problems] == ["q.csv"]
    assert "looks like the question table" in problems[0]["message"]


def test_the_same_sheet_twice_is_one_problem(api, batch):
    problems = _problems(
        upload(api, "b1", ("questions.csv", csv_bytes(QUESTIONS)), ("a.csv", csv_bytes(SCORES)), ("b.csv", csv_bytes(SCORES)))
    )

    assert [(p["file"], p["message"]) for p in problems] == [
        ("b.csv", "This is the same file as a.csv; upload each sheet once.")
    ]


def test_a_refused_question_row_is_not_reported_again_as_an_unknown_column(api, batch):
    questions = [row[:] for row in QUESTIONS]
    questions[3][2] = 0  # m1 with a maximum of 0

    problems = _problems(upload(api, "b1", ("questions.csv", csv_bytes(questions)), ("s.csv", csv_bytes(SCORES))))

    assert [(p["file"], p["row"], p["column"]) for p in problems] == [("questions.csv", 4, "max_score")]
