"""Faults with real worker processes: a worker killed mid-job, a job over its time limit, Redis
flushed under queued tasks, and twenty simultaneous starts of one batch."""
import json
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from redis import Redis
from rq.job import Job
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.models import CalculationTask
from jobs.reconcile import LOST_MESSAGE
from tests.conftest import PROJECT_ROOT, start_worker
from tests.helpers import wait_for_task
from tests.test_tasks import _batch_with_data, _start, _wait_until, age_past_grace, lose_job

# Workers in these tests beat and check fast, so that dying is noticed in seconds.
FAST_CHECKS = {"JOB_HEARTBEAT_SECONDS": "1", "WORKER_SILENCE_SECONDS": "4", "RECONCILE_SECONDS": "1"}
WORKER = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
SLOW_WORKER = [sys.executable, str(PROJECT_ROOT / "tests" / "slow_worker.py")]


def _status_in_sql(task_id):
    db.session.expire_all()
    return db.session.get(CalculationTask, task_id)


def test_a_worker_killed_mid_job_leaves_its_task_failed_within_a_minute(api, environment, tmp_path):
    _batch_with_data(api)
    doomed = start_worker(SLOW_WORKER, {**environment, **FAST_CHECKS, "SLOW_STAGE_SECONDS": "30"}, tmp_path / "a")
    task_id = _start(api)
    _wait_until(lambda: _status_in_sql(task_id).status == "running", 20, "the task never started")
    survivor = start_worker(WORKER, {**environment, **FAST_CHECKS}, tmp_path / "b")
    try:
        killed_at = time.monotonic()
        doomed.kill()
        # Read SQL directly: no page or API view may be what notices the death.
        task = _wait_until(
            lambda: (task := _status_in_sql(task_id)).status == "failed" and task, 60, "the task stayed running"
        )
        assert time.monotonic() - killed_at < 60
        assert "died or stopped answering" in task.error_message

        again = api.post("/tasks/demo/start")
        assert again.status_code == 202
        assert wait_for_task(api, again.get_json()["task_id"])["status"] == "completed"
    finally:
        survivor.stop()


def test_a_job_over_its_time_limit_fails_with_a_timeout_message(api, web_app, environment, tmp_path):
    _batch_with_data(api)
    web_app.config["JOB_TIMEOUT_SECONDS"] = 2
    worker = start_worker(SLOW_WORKER, {**environment, "SLOW_STAGE_SECONDS": "20"}, tmp_path)
    try:
        finished = wait_for_task(api, _start(api), seconds=30)
    finally:
        web_app.config["JOB_TIMEOUT_SECONDS"] = 1800
        worker.stop()

    assert finished["status"] == "failed"
    assert finished["error_message"] == "The calculation ran past its time limit and was stopped."


def test_tasks_queued_when_redis_is_flushed_are_reported_lost_by_the_workers(api, app, environment, tmp_path):
    _batch_with_data(api, "one")
    _batch_with_data(api, "two")
    first, second = _start(api, "one"), _start(api, "two")
    lose_job(app, first)
    lose_job(app, second)

    worker = start_worker(WORKER, {**environment, **FAST_CHECKS}, tmp_path)
    try:
        _wait_until(
            lambda: all(_status_in_sql(task_id).status == "failed" for task_id in (first, second)),
            15,
            "the lost tasks stayed queued",
        )
    finally:
        worker.stop()
    assert _status_in_sql(first).error_message == LOST_MESSAGE


def test_twenty_simultaneous_starts_of_one_batch_make_one_task(api, live_server):
    _batch_with_data(api)
    url = f"{live_server}/api/v1/statistics/tasks/demo/start"

    def start(_):
        request = urllib.request.Request(url, method="POST", headers=api.headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(start, range(20)))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [202] + [409] * 19
    created = next(body["task_id"] for status, body in answers if status == 202)
    assert {body["task"]["task_id"] for status, body in answers if status == 409} == {created}
    assert db.session.scalars(select(CalculationTask)).all() == [db.session.get(CalculationTask, created)]


def test_a_worker_that_cannot_reach_the_database_fails_the_job_and_the_task_catches_up(
    api, app, environment, tmp_path
):
    _batch_with_data(api)
    unreachable = {**environment, **FAST_CHECKS, "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"}
    cut_off = start_worker(WORKER, unreachable, tmp_path / "cut-off")
    task_id = _start(api)
    job = Job.fetch(task_id, connection=Redis.from_url(app.config["REDIS_URL"]))
    try:
        _wait_until(lambda: job.get_status(refresh=True) == "failed", 20, "the job did not fail visibly")
    finally:
        cut_off.stop()
    assert _status_in_sql(task_id).status == "queued"  # nobody could write it down yet

    age_past_grace(task_id)
    recovered = start_worker(WORKER, {**environment, **FAST_CHECKS}, tmp_path / "recovered")
    try:
        task = _wait_until(
            lambda: (task := _status_in_sql(task_id)).status == "failed" and task, 15, "the task was not reconciled"
        )
    finally:
        recovered.stop()
    assert task.error_message == "The job ended (failed) without recording the outcome."
