"""Bulk start, cancel and delete: limits, per-item reasons, counts; one failure never stops the rest."""
from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.models import CalculationTask
from tests.test_tasks import _batch_with_data, _start


def test_bulk_start_reports_each_batch_and_counts(api):
    _batch_with_data(api, "a")
    _batch_with_data(api, "b")
    running = _start(api, "b")
    api.post("/batches", json={"batch_code": "empty"})
    api.post("/batches", json={"batch_code": "s", "aggregation_level": "school", "school_id": "A"})

    body = api.post(
        "/tasks/batch-start",
        json={"batches": ["a", "b", "empty", "missing", {"batch_code": "s", "aggregation_level": "school",
                                                          "school_id": "A", "priority": "low"}]},
    ).get_json()

    assert (body["started_count"], body["failed_count"]) == (1, 4)
    outcome = {result["batch_code"]: (result["status"], result.get("code")) for result in body["results"]}
    assert outcome == {
        "a": ("started", None),
        "b": ("failed", "task_already_active"),
        "empty": ("failed", "no_data"),
        "missing": ("failed", "not_found"),
        "s": ("failed", "no_data"),
    }
    assert next(r for r in body["results"] if r["batch_code"] == "b")["task_id"] == running


def test_bulk_limits_refuse_the_whole_request(api):
    _batch_with_data(api, "a")

    over = api.post("/tasks/batch-start", json=["a"] * 51)
    assert over.status_code == 422 and "At most 50" in over.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(CalculationTask)) == 0
    over = api.post("/tasks/batch-cancel", json={"task_ids": ["x"] * 101})
    assert over.status_code == 422 and "At most 100" in over.get_json()["error"]["message"]
    assert api.post("/tasks/batch-delete", json={"task_ids": ["x"] * 101}).status_code == 422
    assert api.post("/tasks/batch-cancel", json={"task_ids": []}).status_code == 422
    assert api.post("/tasks/batch-delete", json={"task_ids": ["x"], "force": "yes"}).status_code == 422


def test_bulk_cancel_counts_cancelled_and_explains_the_rest(api):
    _batch_with_data(api, "a")
    _batch_with_data(api, "b")
    first, second = _start(api, "a"), _start(api, "b")
    api.post(f"/tasks/{second}/cancel")

    body = api.post("/tasks/batch-cancel", json={"task_ids": [first, second, "nope"]}).get_json()

    assert (body["cancelled_count"], body["failed_count"]) == (1, 2)
    assert [(r["task_id"], r["status"], r.get("code")) for r in body["results"]] == [
        (first, "cancelled", None),
        (second, "failed", "task_finished"),
        ("nope", "failed", "not_found"),
    ]


def test_bulk_delete_removes_finished_tasks_and_active_ones_only_with_force(api):
    _batch_with_data(api, "a")
    _batch_with_data(api, "b")
    finished, active = _start(api, "a"), _start(api, "b")
    api.post(f"/tasks/{finished}/cancel")

    without_force = api.post("/tasks/batch-delete", json={"task_ids": [finished, active]}).get_json()
    assert (without_force["deleted_count"], without_force["failed_count"]) == (1, 1)
    assert without_force["results"][1]["code"] == "task_active"

    forced = api.post("/tasks/batch-delete", json={"task_ids": [active], "force": True}).get_json()
    assert forced["deleted_count"] == 1
    assert db.session.scalar(select(func.count()).select_from(CalculationTask)) == 0
    assert api.get("/batches/b").get_json()["calculation_status"] == "cancelled"
