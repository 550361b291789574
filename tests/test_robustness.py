"""Inputs and timings that once broke things: each must end in a clear 4xx or a correct result."""
import sys

from sqlalchemy import select, update

from dashboard.extensions import db
from dashboard.models import Batch, CalculationStatus, CalculationTask, SubjectResult
from tests.conftest import start_worker
from tests.helpers import csv_bytes, upload, wait_for_task
from tests.test_tasks import QUESTIONS, SCORES, _batch_with_data, _start, lose_job


def _status(response, expected):
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if response.content_type == "application/json":
        return response.get_json()


def test_a_school_whose_students_were_all_absent_shows_on_the_batch_page(api, worker, signed_in):
    api.post("/batches", json={"batch_code": "abs"})
    scores = [
        ["student_id", "school_code", "status", "m1", "m2"],
        ["s1", "A", "absent", "", ""],
        ["s2", "A", "", "ABS", ""],
        ["s3", "B", "", 1, 2],
        ["s4", "C", "", "", ""],
    ]
    upload(api, "abs", ("q.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(scores)))
    assert wait_for_task(api, _start(api, "abs"))["status"] == "completed"
    batch = db.session.scalar(select(Batch))

    page = signed_in.get(f"/batches/{batch.id}")

    assert page.status_code == 200
    assert "No participants" in page.get_data(as_text=True)
    by_school = api.get("/batches/abs/results").get_json()["subjects"]["math"]["by_school"]
    assert by_school["A"] == {"participant_count": 0, "absent_count": 2}


def test_a_task_whose_data_was_replaced_before_it_ran_saves_nothing(api, environment, tmp_path):
    _batch_with_data(api)
    batch = db.session.scalar(select(Batch))
    # No worker yet: the task waits while its batch's data is replaced underneath it.
    task_id = _start(api)
    db.session.execute(update(Batch).values(data_version=Batch.data_version + 1))
    db.session.commit()

    worker = start_worker([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], environment, tmp_path)
    try:
        finished = wait_for_task(api, task_id)
    finally:
        worker.stop()

    assert finished["status"] == "failed"
    assert "replaced after this task was queued" in finished["error_message"]
    assert db.session.scalar(select(SubjectResult).where(SubjectResult.batch_id == batch.id)) is None


def test_a_school_coded_region_is_an_ordinary_school(api, worker):
    api.post("/batches", json={"batch_code": "r"})
    scores = [["student_id", "school_code", "m1", "m2"], ["1", "region", 1, 2], ["2", "other", 2, 3]]
    upload(api, "r", ("q.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(scores)))

    assert wait_for_task(api, _start(api, "r"))["status"] == "completed"
    results = api.get("/batches/r/results").get_json()["subjects"]["math"]
    assert results["region"]["participant_count"] == 2
    assert results["by_school"]["region"]["participant_count"] == 1


def test_absurd_maxima_odd_numbers_and_broken_csv_are_problems_not_crashes(api):
    api.post("/batches", json={"batch_code": "odd"})
    questions = [
        ["subject", "question_id", "max_score", "question_type", "options"],
        ["m", "Q1", "1e308", "exam", ""],
        ["q", "P1", "5", "questionnaire", "nan"],
        ["q", "P2", "5", "questionnaire", "1e300"],
    ]
    response = upload(api, "odd", ("q.csv", csv_bytes(questions)), ("s.csv", csv_bytes(SCORES)))
    found = {(p["row"], p["column"]) for p in _status(response, 422)["error"]["details"]}
    assert {(2, "max_score"), (3, "options"), (4, "options")} <= found

    scores = [["student_id", "school_code", "m1", "m2"], ["1", "A", "1_0", "١"], ["2", "A", "nan", "+1"]]
    response = upload(api, "odd", ("q.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(scores)))
    bad = {(p["row"], p["column"], p["value"]) for p in _status(response, 422)["error"]["details"]}
    assert bad == {(2, "m1", "1_0"), (2, "m2", "١"), (3, "m1", "nan")}

    huge_cell = b"student_id,school_code,m1,m2\n1,A,\"" + b"x" * 200_000 + b"\",1\n"
    response = upload(api, "odd", ("q.csv", csv_bytes(QUESTIONS)), ("s.csv", huge_cell))
    assert "not valid CSV" in _status(response, 422)["error"]["details"][0]["message"]


def test_odd_parameters_and_bodies_get_4xx(api, signed_in):
    api.post("/batches", json={"batch_code": "b"})
    _status(api.get("/batches?page=99999999999999999999"), 422)
    _status(api.get("/batches?page=²"), 422)
    _status(api.post("/batches", data='{"batch_code": "c", "description": "\\ud800"}', content_type="application/json"), 422)
    body = _status(api.post("/batches", json={"batch_code": "d", "region_name": True}), 422)
    assert body["error"]["details"] == [{"field": "region_name", "message": "Give this field as text."}]
    odd_page = signed_in.get("/?page=99999999999999999999", follow_redirects=True)
    assert odd_page.status_code == 200 and "&#39;page&#39; must be a whole number" in odd_page.get_data(as_text=True)
    assert signed_in.get("/batches/99999999999999999999").status_code == 404
    assert signed_in.get("/batches/99999999999999999999/edit").status_code == 404


def test_a_start_after_the_queue_was_flushed_replaces_the_lost_task(api, app):
    _batch_with_data(api)
    lost = _start(api)
    lose_job(app, lost)

    response = api.post("/tasks/demo/start")

    assert response.status_code == 202
    assert api.get(f"/tasks/{lost}/status").get_json()["status"] == "failed"


def test_only_the_first_ending_of_a_task_counts(api):
    _batch_with_data(api)
    task_id = _start(api)

    first = CalculationTask.end_if_active(db.session, task_id, CalculationStatus.CANCELLED, "Cancelled by someone.")
    second = CalculationTask.end_if_active(db.session, task_id, CalculationStatus.FAILED, "The worker lost the job.")
    db.session.commit()

    assert first is not None and second is None
    task = db.session.get(CalculationTask, task_id)
    assert (task.status, task.error_message) == ("cancelled", "Cancelled by someone.")
