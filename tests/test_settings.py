"""Per-batch calculation settings: validated, used by the calculation, and marking old results stale."""
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.models import Batch
from tests.conftest import csrf_token_of
from tests.helpers import wait_for_task
from tests.test_tasks import _batch_with_data, _start


def test_a_new_batch_has_the_defaults_of_statistics_md(api):
    created = api.post("/batches", json={"batch_code": "b"}).get_json()

    assert created["settings"] == {
        "excellent_threshold": 0.85,
        "good_threshold": 0.7,
        "satisfactory_threshold": 0.6,
        "group_share": 0.27,
        "band_width": 10,
    }
    assert created["results_stale"] is False


def test_settings_out_of_order_or_unknown_are_refused(api):
    api.post("/batches", json={"batch_code": "b"})

    response = api.put("/batches/b", json={"settings": {"good_threshold": 0.9, "band_width": 7, "colour": 1}})

    assert response.status_code == 422
    fields = {detail["field"] for detail in response.get_json()["error"]["details"]}
    assert fields == {"colour", "excellent_threshold", "band_width"}
    assert api.get("/batches/b").get_json()["settings"]["good_threshold"] == 0.7


def test_changed_settings_mark_results_stale_and_the_next_calculation_uses_them(api, worker):
    _batch_with_data(api)
    wait_for_task(api, _start(api))
    before = api.get("/batches/demo/results").get_json()["subjects"]["math"]["region"]
    assert len(before["score_bands"]) == 10

    changed = api.put("/batches/demo", json={"settings": {"band_width": 20, "satisfactory_threshold": 0.3}})

    assert changed.get_json()["results_stale"] is True
    wait_for_task(api, _start(api))
    after = api.get("/batches/demo/results").get_json()["subjects"]["math"]["region"]
    assert len(after["score_bands"]) == 5
    # Totals 5, 2, 2, 2 of 5: only the first passes at 60 %, all four at 30 %.
    assert (before["pass_rate"], after["pass_rate"]) == (0.25, 1.0)
    assert api.get("/batches/demo").get_json()["results_stale"] is False


def test_settings_are_edited_on_the_batch_form(signed_in, api):
    api.post("/batches", json={"batch_code": "b", "region_name": "R"})
    batch = db.session.scalar(select(Batch))
    page = signed_in.get(f"/batches/{batch.id}/edit").get_data(as_text=True)
    assert 'name="excellent_threshold"' in page and 'value="0.85"' in page

    response = signed_in.post(
        f"/batches/{batch.id}/edit",
        data={
            "csrf_token": csrf_token_of(page),
            "region_name": "R",
            "excellent_threshold": "0.9",
            "good_threshold": "0.75",
            "satisfactory_threshold": "0.5",
            "group_share": "0.25",
            "band_width": "20",
        },
    )

    assert response.status_code == 302
    db.session.refresh(batch)
    assert batch.settings["satisfactory_threshold"] == 0.5 and batch.settings["band_width"] == 20
