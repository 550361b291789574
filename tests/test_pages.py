"""The server-rendered pages: batch forms, detail, upload problems, and the task progress fragment."""
import io

from sqlalchemy import select

from dashboard.extensions import db
from dashboard.models import Batch
from tests.conftest import csrf_token_of
from tests.helpers import csv_bytes
from tests.test_tasks import QUESTIONS, SCORES, _batch_with_data, _start


def _post_form(client, page_url, action, data, **kwargs):
    token = csrf_token_of(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token}, **kwargs)


def _upload_on_page(client, batch, scores, **kwargs):
    files = {
        "questions": (io.BytesIO(csv_bytes(QUESTIONS)), "questions.csv"),
        "scores": (io.BytesIO(csv_bytes(scores)), "scores.csv"),
    }
    return _post_form(
        client, f"/batches/{batch.id}", f"/batches/{batch.id}/data", files, content_type="multipart/form-data", **kwargs
    )


def test_creating_a_batch_through_the_form_shows_it_with_its_history(signed_in):
    response = _post_form(
        signed_in,
        "/batches/new",
        "/batches/new",
        {"batch_code": "form-1", "aggregation_level": "regional", "region_name": "<b>北区</b>"},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Batch form-1 created." in page
    assert "&lt;b&gt;北区&lt;/b&gt;" in page and "<b>北区</b>" not in page
    assert "created" in page and "operator" in page


def test_form_errors_are_shown_beside_the_field(signed_in):
    response = _post_form(
        signed_in, "/batches/new", "/batches/new", {"batch_code": "b", "aggregation_level": "school", "school_id": ""}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A school-level batch needs a school id." in page
    assert 'class="field has-error"' in page
    assert db.session.scalar(select(Batch)) is None


def test_editing_a_batch_records_before_and_after(signed_in, api):
    api.post("/batches", json={"batch_code": "b", "region_name": "old"})
    batch = db.session.scalar(select(Batch))

    response = _post_form(
        signed_in, f"/batches/{batch.id}/edit", f"/batches/{batch.id}/edit", {"region_name": "new"},
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert "Batch b saved." in page
    assert "old → new" in page


def test_a_bad_upload_on_the_page_lists_its_problems_with_status_422(signed_in, api):
    api.post("/batches", json={"batch_code": "b"})
    batch = db.session.scalar(select(Batch))
    bad_scores = [row[:] for row in SCORES]
    bad_scores[1][3] = 9

    response = _upload_on_page(signed_in, batch, bad_scores)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The score must be between 0 and 2." in page
    assert "<td>scores.csv</td><td>2</td><td>m1</td><td>9</td>" in page
    db.session.refresh(batch)
    assert batch.data_version == 0


def test_an_upload_and_start_on_the_page_lead_to_the_task_page(signed_in, api):
    api.post("/batches", json={"batch_code": "b"})
    batch = db.session.scalar(select(Batch))
    uploaded = _upload_on_page(signed_in, batch, SCORES, follow_redirects=True)
    assert "Imported 4 students, 2 schools, 2 questions." in uploaded.get_data(as_text=True)

    started = _post_form(signed_in, f"/batches/{batch.id}", f"/batches/{batch.id}/start", {})

    assert started.status_code == 302
    assert started.headers["Location"].startswith("/tasks/")
    page = signed_in.get(started.headers["Location"]).get_data(as_text=True)
    assert "Calculation of b" in page and 'data-status="queued"' in page


def test_the_progress_fragment_polls_while_active_and_not_once_ended(signed_in, api):
    _batch_with_data(api)
    task_id = _start(api)

    active = signed_in.get(f"/tasks/{task_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in active
    assert 'hx-trigger="every 1s"' in active
    assert "Cancel task" in active

    api.post(f"/tasks/{task_id}/cancel")
    ended = signed_in.get(f"/tasks/{task_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in ended
    assert 'data-status="cancelled"' in ended
    full_page = signed_in.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "<html" in full_page and 'id="task-progress"' in full_page


def test_results_appear_on_the_batch_page_after_a_calculation(signed_in, api, worker):
    from tests.helpers import wait_for_task

    _batch_with_data(api)
    wait_for_task(api, _start(api))
    batch = db.session.scalar(select(Batch))

    page = signed_in.get(f"/batches/{batch.id}").get_data(as_text=True)

    assert 'data-subject="math"' in page
    assert "2.75" in page  # region average, rounded for display
    assert "School A" in page and "School B" in page


def test_unknown_pages_and_missing_batches_get_friendly_errors(signed_in):
    missing = signed_in.get("/batches/999")
    assert missing.status_code == 404
    assert "Batch 999 does not exist." in missing.get_data(as_text=True)
    assert signed_in.get("/nowhere").status_code == 404


def test_a_boosted_navigation_to_the_task_page_gets_the_whole_page(signed_in, api):
    _batch_with_data(api)
    task_id = _start(api)

    page = signed_in.get(f"/tasks/{task_id}", headers={"HX-Request": "true", "HX-Boosted": "true"})

    assert "<html" in page.get_data(as_text=True)


def test_deleting_through_htmx_sends_the_browser_to_the_list(signed_in, api):
    api.post("/batches", json={"batch_code": "b"})
    batch = db.session.scalar(select(Batch))
    token = csrf_token_of(signed_in.get(f"/batches/{batch.id}").get_data(as_text=True))

    response = signed_in.post(
        f"/batches/{batch.id}/delete", data={"csrf_token": token}, headers={"HX-Request": "true", "HX-Boosted": "true"}
    )

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"
    assert db.session.scalar(select(Batch)) is None


def test_a_later_page_past_the_last_batch_says_so(signed_in, api):
    api.post("/batches", json={"batch_code": "b"})

    page = signed_in.get("/?page=5").get_data(as_text=True)

    assert "This page is past the last batch." in page
    assert "No batches yet." not in page


def test_the_interface_speaks_chinese_when_asked(signed_in):
    signed_in.set_cookie("lang", "zh")

    page = signed_in.get("/").get_data(as_text=True)

    assert '<html lang="zh">' in page
    assert "New batch" not in page


def test_ticked_batches_are_started_together_from_the_list(signed_in, api):
    _batch_with_data(api, "one")
    _batch_with_data(api, "two")
    api.post("/batches", json={"batch_code": "empty"})
    ids = [batch.id for batch in db.session.scalars(select(Batch).order_by(Batch.id))]
    token = csrf_token_of(signed_in.get("/").get_data(as_text=True))

    response = signed_in.post(
        "/batches/bulk-start", data={"csrf_token": token, "batch_id": [str(i) for i in ids]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"
    page = signed_in.get("/").get_data(as_text=True)
    assert "Started: 2; not done: 1." in page
    assert "empty: The batch has no data yet" in page


def test_the_batch_list_filters_in_place_and_shows_live_progress_while_busy(signed_in, api):
    _batch_with_data(api, "busy")
    api.post("/batches", json={"batch_code": "idle"})
    _start(api, "busy")

    fragment = signed_in.get("/?calculation_status=queued", headers={"HX-Request": "true"}).get_data(as_text=True)

    assert fragment.lstrip().startswith('<div id="batch-table"')
    assert 'data-batch="busy"' in fragment and 'data-batch="idle"' not in fragment
    assert 'hx-trigger="every 2s"' in fragment and "<progress" in fragment
    idle = signed_in.get("/?batch_code=idle", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' not in idle
    assert "No batches match." in signed_in.get("/?batch_code=zzz").get_data(as_text=True)
