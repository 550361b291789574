"""The batch endpoints of /api/v1/statistics: create, read, list, change, delete, and their errors."""
from sqlalchemy import func, select

from dashboard.extensions import db
from dashboard.models import AuditEvent, Batch, BatchHistory, CalculationTask


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()["error"]
    assert body["code"] == code
    assert body["message"]
    return body


def test_a_regional_batch_is_created_and_read_back(api):
    response = api.post("/batches", json={"batch_code": "2026-math", "region_name": "东区", "description": "spring"})

    assert response.status_code == 201
    created = response.get_json()
    assert created["aggregation_level"] == "regional"
    assert created["school_id"] is None
    assert created["calculation_status"] == "pending"
    assert created["created_by"] == "operator"
    assert api.get("/batches/2026-math").get_json() == created


def test_a_school_batch_needs_a_school_id_and_a_regional_one_must_not_have_one(api):
    missing = _error(api.post("/batches", json={"batch_code": "b", "aggregation_level": "school"}), 422, "validation_failed")
    assert "needs a school id" in missing["message"]
    assert missing["details"] == [{"field": "school_id", "message": "A school-level batch needs a school id."}]

    extra = _error(api.post("/batches", json={"batch_code": "b", "school_id": "S1"}), 422, "validation_failed")
    assert "must not have a school id" in extra["message"]
    assert db.session.scalar(select(Batch)) is None


def test_the_same_code_may_exist_once_per_level_and_school(api):
    assert api.post("/batches", json={"batch_code": "b"}).status_code == 201
    assert api.post("/batches", json={"batch_code": "b", "aggregation_level": "school", "school_id": "S1"}).status_code == 201
    assert api.post("/batches", json={"batch_code": "b", "aggregation_level": "school", "school_id": "S2"}).status_code == 201

    _error(api.post("/batches", json={"batch_code": "b"}), 409, "conflict")
    _error(api.post("/batches", json={"batch_code": "b", "aggregation_level": "school", "school_id": "S1"}), 409, "conflict")
    ambiguous = _error(api.get("/batches/b"), 400, "bad_request")
    assert len(ambiguous["details"]) == 3
    assert api.get("/batches/b?aggregation_level=regional").get_json()["school_id"] is None
    assert api.get("/batches/b?aggregation_level=school&school_id=S2").get_json()["school_id"] == "S2"


def test_bad_bodies_and_unknown_batches_get_json_errors(api):
    _error(api.post("/batches", data="not json", content_type="application/json"), 422, "validation_failed")
    _error(api.post("/batches", json={"batch_code": "has space"}), 422, "validation_failed")
    _error(api.get("/batches/nothing"), 404, "not_found")
    _error(api.get("/no-such-endpoint"), 404, "not_found")
    _error(api.delete("/batches"), 405, "method_not_allowed")
    _error(api.get("/batches?page=0"), 422, "validation_failed")
    _error(api.get("/batches?page_size=1000"), 422, "validation_failed")
    _error(api.get("/batches?calculation_status=weird"), 422, "validation_failed")


def test_the_list_is_newest_first_paged_and_filtered(api):
    for index in range(5):
        api.post("/batches", json={"batch_code": f"y2026-{index}"})
    api.post("/batches", json={"batch_code": "other", "aggregation_level": "school", "school_id": "S1"})

    first_page = api.get("/batches?page_size=2").get_json()
    assert first_page["total"] == 6
    assert [item["batch_code"] for item in first_page["items"]] == ["other", "y2026-4"]
    third_page = api.get("/batches?page_size=2&page=3").get_json()
    assert [item["batch_code"] for item in third_page["items"]] == ["y2026-1", "y2026-0"]
    assert api.get("/batches?batch_code=y2026").get_json()["total"] == 5
    assert api.get("/batches?aggregation_level=school").get_json()["total"] == 1
    assert api.get("/batches?calculation_status=pending").get_json()["total"] == 6
    assert api.get("/batches?batch_code=%25").get_json()["total"] == 0


def test_an_update_changes_descriptive_fields_and_records_history(api):
    api.post("/batches", json={"batch_code": "b", "region_name": "old"})

    response = api.put("/batches/b", json={"region_name": "new", "description": "checked"})

    assert response.status_code == 200
    assert response.get_json()["region_name"] == "new"
    entries = db.session.scalars(select(BatchHistory).order_by(BatchHistory.id)).all()
    assert [entry.action for entry in entries] == ["created", "updated"]
    assert entries[1].changes == {
        "region_name": {"before": "old", "after": "new"},
        "description": {"before": "", "after": "checked"},
    }
    assert entries[1].user.username == "operator"
    refused = _error(api.put("/batches/b", json={"batch_code": "c"}), 422, "validation_failed")
    assert refused["details"] == [{"field": "batch_code", "message": "This field cannot be changed."}]


def test_deleting_a_batch_removes_it_with_its_history_and_leaves_an_audit_record(api):
    api.post("/batches", json={"batch_code": "b", "region_name": "East"})

    assert api.delete("/batches/b").status_code == 204

    _error(api.get("/batches/b"), 404, "not_found")
    assert db.session.scalar(select(BatchHistory)) is None
    audit = db.session.scalar(select(AuditEvent))
    assert (audit.action, audit.username) == ("batch_deleted", "operator")
    assert audit.details["batch_code"] == "b" and audit.details["region_name"] == "East"


def test_deleting_a_batch_with_a_queued_task_needs_force_which_cancels_it(api):
    from tests.test_tasks import _batch_with_data, _start

    _batch_with_data(api, "busy")
    task_id = _start(api, "busy")

    _error(api.delete("/batches/busy"), 409, "batch_busy")
    assert api.get("/batches/busy").status_code == 200

    assert api.delete("/batches/busy?force=true").status_code == 204
    audit = db.session.scalar(select(AuditEvent))
    assert audit.details["cancelled_task"] == task_id and audit.details["task_count"] == 1
    assert db.session.scalar(select(func.count()).select_from(CalculationTask)) == 0


def test_results_of_a_batch_without_a_calculation_are_empty(api):
    api.post("/batches", json={"batch_code": "b"})

    assert api.get("/batches/b/results").get_json() == {"subjects": {}}


def test_unknown_fields_are_refused_and_change_nothing(api):
    _error(api.post("/batches", json={"batch_code": "b", "colour": "red"}), 422, "validation_failed")
    api.post("/batches", json={"batch_code": "b"})

    refused = _error(api.put("/batches/b", json={"bogus": 1}), 422, "validation_failed")

    assert refused["details"] == [{"field": "bogus", "message": "Unknown field 'bogus'."}]
    assert db.session.scalar(select(BatchHistory).where(BatchHistory.action == "updated")) is None


def test_a_deleted_batchs_id_is_never_reused(api):
    first = api.post("/batches", json={"batch_code": "old"}).get_json()["id"]
    api.delete("/batches/old")

    second = api.post("/batches", json={"batch_code": "new"}).get_json()["id"]

    assert second != first


def test_narrowing_results_to_an_unknown_subject_or_school_is_404(api):
    from tests.test_tasks import _batch_with_data

    _batch_with_data(api, "b")

    assert _error(api.get("/batches/b/results?subject=nope"), 404, "not_found")["message"] == "Batch b has no subject 'nope'."
    _error(api.get("/batches/b/results?school_id=ZZ"), 404, "not_found")
    assert api.get("/batches/b/results?subject=math&school_id=A").get_json() == {"subjects": {}}


def test_the_list_sorts_by_an_allowed_column_and_filters_by_creator_and_date(api):
    from tests.test_tasks import _batch_with_data

    _batch_with_data(api, "b-small")
    api.post("/batches", json={"batch_code": "a-empty"})

    by_code = api.get("/batches?sort=batch_code&direction=asc").get_json()["items"]
    assert [item["batch_code"] for item in by_code] == ["a-empty", "b-small"]
    by_students = api.get("/batches?sort=student_count&direction=desc").get_json()["items"]
    assert by_students[0]["batch_code"] == "b-small"
    assert api.get("/batches?created_by=operator").get_json()["total"] == 2
    assert api.get("/batches?created_by=someone").get_json()["total"] == 0
    assert api.get("/batches?created_from=2999-01-01").get_json()["total"] == 0
    _error(api.get("/batches?sort=password_hash"), 422, "validation_failed")
