"""The task list: API filters, allow-listed sorting, paging; the page updates in place and polls while tasks run."""

from tests.conftest import csrf_token_of
from tests.test_tasks import _batch_with_data, _start


def _three_tasks(api):
    for code in ("y2026-a", "y2026-b", "other"):
        _batch_with_data(api, code)
    ids = [_start(api, "y2026-a"), _start(api, "y2026-b"), api.post("/tasks/other/start", json={"priority": "high"}).get_json()["task_id"]]
    api.post(f"/tasks/{ids[0]}/cancel")
    return ids


def test_the_task_api_filters_sorts_and_pages(api):
    first, second, third = _three_tasks(api)

    assert api.get("/tasks").get_json()["total"] == 3
    assert [t["task_id"] for t in api.get("/tasks?batch_code=y2026").get_json()["items"]] == [second, first]
    assert [t["task_id"] for t in api.get("/tasks?status=cancelled").get_json()["items"]] == [first]
    assert [t["task_id"] for t in api.get("/tasks?priority=high").get_json()["items"]] == [third]
    assert api.get("/tasks?started_by=operator").get_json()["total"] == 3
    assert api.get("/tasks?started_by=nobody").get_json()["total"] == 0
    by_code = api.get("/tasks?sort=batch_code&direction=asc").get_json()["items"]
    assert [t["batch_code"] for t in by_code] == ["other", "y2026-a", "y2026-b"]
    paged = api.get("/tasks?page_size=2&page=2").get_json()
    assert (paged["total"], len(paged["items"])) == (3, 1)
    assert api.get("/tasks?created_from=2000-01-01&created_to=2000-01-02").get_json()["total"] == 0
    assert api.get("/tasks?sort=__class__").status_code == 422
    assert api.get("/tasks?created_from=yesterday").status_code == 422


def test_the_task_page_filters_in_place_and_polls_only_while_tasks_are_active(signed_in, api):
    first, second, third = _three_tasks(api)

    page = signed_in.get("/tasks/?status=cancelled").get_data(as_text=True)
    assert f'data-task="{first}"' in page and f'data-task="{second}"' not in page
    assert 'data-active="no"' in page and 'hx-trigger="every 2s"' not in page

    fragment = signed_in.get("/tasks/?status=queued", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="task-table"')
    assert 'hx-trigger="every 2s"' in fragment

    token = csrf_token_of(page)
    response = signed_in.post("/tasks/bulk-cancel", data={"csrf_token": token, "task_id": [second, third]},
                              headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/tasks/"
    ended = signed_in.get("/tasks/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' not in ended
    assert "Cancelled: 2; not done: 0." in signed_in.get("/tasks/").get_data(as_text=True)
