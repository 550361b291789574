"""Calculation tasks with real RQ workers: stages, duplicate starts, cancelling, lost and failed jobs."""
import os
import signal
import subprocess
import time
from datetime import timedelta

from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import update

from dashboard.extensions import db
from dashboard.models import CalculationTask, ScoreBlock, utcnow
from tests.helpers import csv_bytes, upload, wait_for_task

QUESTIONS = [
    ["subject", "question_id", "max_score", "dimensions", "question_type", "reverse", "options"],
    ["math", "m1", 2, "", "exam", 0, ""],
    ["math", "m2", 3, "", "exam", 0, ""],
]
SCORES = [
    ["student_id", "school_code", "school_name", "m1", "m2"],
    ["s01", "A", "School A", 2, 3],
    ["s02", "A", "School A", 1, 1],
    ["s03", "B", "School B", 0, 2],
    ["s04", "B", "School B", 2, 0],
]


def _batch_with_data(api, code="demo"):
    assert api.post("/batches", json={"batch_code": code}).status_code == 201
    response = upload(api, code, ("questions.csv", csv_bytes(QUESTIONS)), ("scores.csv", csv_bytes(SCORES)))
    assert response.status_code == 200, response.get_json()


def _start(api, code="demo"):
    response = api.post(f"/tasks/{code}/start")
    assert response.status_code == 202, response.get_json()
    return response.get_json()["task_id"]


def _wait_until(predicate, seconds, message):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(message)


def test_a_task_runs_through_every_stage_to_completed(api, worker):
    _batch_with_data(api)
    task_id = _start(api)

    finished = wait_for_task(api, task_id)

    assert finished["status"] == "completed"
    assert finished["progress"] == 100
    assert [stage["name"] for stage in finished["stages"]] == [
        "data_loading",
        "statistical_calculation",
        "result_aggregation",
        "saving_results",
    ]
    assert all(stage["status"] == "completed" and stage["progress"] == 100 for stage in finished["stages"])
    assert finished["started_at"] and finished["finished_at"]
    assert api.get("/batches/demo").get_json()["calculation_status"] == "completed"
    progress = api.get(f"/tasks/{task_id}/progress").get_json()
    assert progress["progress"] == 100 and len(progress["stages"]) == 4
    results = api.get("/batches/demo/results").get_json()["subjects"]["math"]
    assert results["region"]["participant_count"] == 4
    assert results["region"]["average_score"] == 2.75
    assert sorted(results["by_school"]) == ["A", "B"]


def test_starting_a_batch_with_an_active_task_returns_that_task_with_409(api):
    _batch_with_data(api)
    first = _start(api)

    second = api.post("/tasks/demo/start")

    assert second.status_code == 409
    body = second.get_json()
    assert body["error"]["code"] == "task_already_active"
    assert body["task"]["task_id"] == first
    assert db.session.query(CalculationTask).count() == 1


def test_starting_a_batch_without_data_is_refused(api):
    api.post("/batches", json={"batch_code": "empty"})

    response = api.post("/tasks/empty/start")

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_data"


def test_cancelling_a_queued_task_takes_its_job_off_the_queue(api, app):
    _batch_with_data(api)
    task_id = _start(api)
    queue = Queue("normal", connection=Redis.from_url(app.config["REDIS_URL"]))
    assert queue.count == 1

    response = api.post(f"/tasks/{task_id}/cancel")

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert queue.count == 0
    assert api.get("/batches/demo").get_json()["calculation_status"] == "cancelled"
    assert api.post(f"/tasks/{task_id}/cancel").status_code == 409


def test_cancelling_a_running_task_stops_the_workers_job_within_two_seconds(api, app, slow_worker):
    _batch_with_data(api)
    task_id = _start(api)
    _wait_until(
        lambda: api.get(f"/tasks/{task_id}/status").get_json()["current_stage"] == "statistical_calculation",
        20,
        "the task never reached the calculation stage",
    )
    job = Job.fetch(task_id, connection=Redis.from_url(app.config["REDIS_URL"]))

    cancelled_at = time.monotonic()
    assert api.post(f"/tasks/{task_id}/cancel").get_json()["status"] == "cancelled"
    _wait_until(lambda: job.get_status(refresh=True) == "stopped", 2, "the worker did not stop the job within 2 s")
    stopped_after = time.monotonic() - cancelled_at

    assert stopped_after < 2
    status = api.get(f"/tasks/{task_id}/status").get_json()
    assert status["status"] == "cancelled"
    assert status["progress"] < 100
    assert api.get("/batches/demo").get_json()["calculation_status"] == "cancelled"
    assert slow_worker.process.poll() is None, "the worker itself must survive a cancel"


def age_past_grace(task_id):
    """Make the task older than the grace period that covers the moment between its commit and its enqueue."""
    db.session.execute(
        update(CalculationTask).where(CalculationTask.id == task_id).values(created_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


def lose_job(app, task_id):
    """Flush Redis under a queued task (aged past the grace period)."""
    Redis.from_url(app.config["REDIS_URL"]).flushdb()
    age_past_grace(task_id)


def test_a_task_whose_job_vanished_from_redis_is_reported_failed(api, app):
    _batch_with_data(api)
    task_id = _start(api)
    lose_job(app, task_id)

    status = api.get(f"/tasks/{task_id}/status").get_json()

    assert status["status"] == "failed"
    assert "no longer in Redis" in status["error_message"]
    assert api.get("/batches/demo").get_json()["calculation_status"] == "failed"


def test_a_job_that_raises_marks_the_task_failed_with_the_reason(api, worker):
    _batch_with_data(api)
    db.session.execute(update(ScoreBlock).values(scores=b"not zlib data"))
    db.session.commit()

    task_id = _start(api)
    finished = wait_for_task(api, task_id)

    assert finished["status"] == "failed"
    assert finished["error_message"].startswith("The calculation failed: error: ")
    assert "INSERT" not in finished["error_message"] and "SELECT" not in finished["error_message"]
    assert api.get("/batches/demo").get_json()["calculation_status"] == "failed"


def test_a_work_horse_killed_mid_job_leaves_the_task_failed_not_running(api, slow_worker):
    _batch_with_data(api)
    task_id = _start(api)
    _wait_until(
        lambda: api.get(f"/tasks/{task_id}/status").get_json()["status"] == "running", 20, "the task never started"
    )
    horse_pids = _wait_until(
        lambda: subprocess.run(["pgrep", "-P", str(slow_worker.process.pid)], capture_output=True, text=True).stdout.split(),
        5,
        "no work horse found",
    )

    os.kill(int(horse_pids[0]), signal.SIGKILL)
    finished = wait_for_task(api, task_id, seconds=15)

    assert finished["status"] == "failed"
    assert "worker lost the job" in finished["error_message"]


def test_a_task_is_queued_with_the_priority_asked_for(api, app):
    _batch_with_data(api)
    connection = Redis.from_url(app.config["REDIS_URL"])

    response = api.post("/tasks/demo/start", json={"priority": "high"})

    assert response.status_code == 202
    assert response.get_json()["priority"] == "high"
    assert Queue("high", connection=connection).count == 1
    assert Queue("normal", connection=connection).count == 0


def test_an_unknown_priority_is_refused_and_nothing_is_queued(api):
    _batch_with_data(api)

    response = api.post("/tasks/demo/start", json={"priority": "urgent"})

    assert response.status_code == 422
    assert db.session.query(CalculationTask).count() == 0


def test_stage_progress_moves_during_a_long_calculation(api, slow_worker):
    _batch_with_data(api)
    task_id = _start(api)
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = api.get(f"/tasks/{task_id}/progress").get_json()
        stage = {entry["name"]: entry for entry in progress["stages"]}["statistical_calculation"]
        if stage["status"] == "running":
            seen.add(stage["progress"])
        if progress["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.1)

    assert progress["status"] == "completed"
    assert len({value for value in seen if 0 < value < 100}) >= 3, seen
