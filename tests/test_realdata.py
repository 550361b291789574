"""The three real data sets of ../shared/realdata, imported through the API and calculated by a
real worker, against the independently computed reference.json."""
import json

import pytest

from tests.conftest import realdata_or_skip
from tests.helpers import compare_figures, upload, wait_for_task



@pytest.mark.parametrize("name", ["czmatura_s", "learning_to_learn", "bfi2"])
def test_every_figure_matches_the_reference(api, worker, name):
    folder = realdata_or_skip(name)
    assert api.post("/batches", json={"batch_code": name, "region_name": name}).status_code == 201
    response = upload(
        api,
        name,
        ("questions.csv", (folder / "questions.csv").read_bytes()),
        ("scores.csv", (folder / "scores.csv").read_bytes()),
    )
    assert response.status_code == 200, response.get_json()

    task = api.post(f"/tasks/{name}/start").get_json()
    finished = wait_for_task(api, task["task_id"])
    assert finished["status"] == "completed", finished

    results = api.get(f"/batches/{name}/results").get_json()
    reference = json.loads((folder / "reference.json").read_text(encoding="utf-8"))
    mismatches = []
    compare_figures(results["subjects"], reference["subjects"], name, mismatches)
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:100])
    assert set(results["subjects"]) == set(reference["subjects"])
    for subject, figures in reference["subjects"].items():
        assert set(results["subjects"][subject]["by_school"]) == set(figures["by_school"])
