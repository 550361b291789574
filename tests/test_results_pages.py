"""Results pages: subject overview, flagged items, dimensions, sortable school comparison, school beside region."""
import re

import pytest
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.models import Batch
from tests.helpers import csv_bytes, upload, wait_for_task

QUESTIONS = [
    ["subject", "question_id", "max_score", "dimensions", "question_type", "reverse", "options"],
    ["math", "m1", 2, "algebra", "exam", 0, ""],
    ["math", "m2", 2, "algebra;geometry", "exam", 0, ""],
    ["math", "m3", 1, "geometry", "exam", 0, ""],
    ["survey", "s1", 4, "mood", "questionnaire", 0, 4],
    ["survey", "s2", 4, "mood", "questionnaire", 1, 4],
]
SCORES = [
    ["student_id", "school_code", "school_name", "m1", "m2", "m3", "s1", "s2"],
    ["1", "A", "Alpha", 2, 2, 1, 4, 1],
    ["2", "A", "Alpha", 2, 1, 1, 3, 2],
    ["3", "A", "Alpha", 1, 2, 1, 4, ""],
    ["4", "B", "Beta", 0, 0, 1, 1, 4],
    ["5", "B", "Beta", 1, 0, 1, 2, 3],
    ["6", "C", "Gamma", 2, 1, 1, "", ""],
]


@pytest.fixture
def calculated(api, worker):
    api.post("/batches", json={"batch_code": "p"})
    upload(api, "p", ("q.csv", csv_bytes(QUESTIONS)), ("s.csv", csv_bytes(SCORES)))
    task = api.post("/tasks/p/start").get_json()
    assert wait_for_task(api, task["task_id"])["status"] == "completed"
    return db.session.scalar(select(Batch))


def test_the_subject_page_shows_overview_items_dimensions_and_comparison(signed_in, calculated):
    page = signed_in.get(f"/batches/{calculated.id}/results/math").get_data(as_text=True)

    assert "Overview" in page and "Schools compared" in page
    assert 'data-item="m3"' in page
    # m3: everybody scored full marks, difficulty 1.0 > 0.9
    m3_row = re.search(r'<tr class="flagged" data-item="m3">.*?</tr>', page, re.S)
    assert m3_row and "very easy" in m3_row.group(0)
    assert 'data-dimension="algebra"' in page and 'data-dimension="geometry"' in page
    ranks = re.findall(r'<tr data-school="(\w)">', page)
    assert ranks == ["A", "C", "B"]


def test_the_comparison_sorts_in_place_by_an_allowed_column(signed_in, calculated):
    url = f"/batches/{calculated.id}/results/math?sort=participant_count&direction=desc"

    fragment = signed_in.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)

    assert fragment.lstrip().startswith("<table")
    assert re.findall(r'<tr data-school="(\w)">', fragment) == ["A", "B", "C"]
    assert 'data-sort="participant_count"' in fragment and 'data-direction="desc"' in fragment
    refused = signed_in.get(f"/batches/{calculated.id}/results/math?sort=__class__", headers={"HX-Request": "true"})
    assert 'data-sort="rank"' in refused.get_data(as_text=True)


def test_the_school_page_puts_the_school_beside_the_region(signed_in, calculated):
    page = signed_in.get(f"/batches/{calculated.id}/results/math/schools/B").get_data(as_text=True)

    assert "Beta in math, beside the region" in page
    assert "Rank 3 of 3 schools" in page
    assert "Region difficulty" in page


def test_the_questionnaire_page_lists_option_percentages(signed_in, calculated):
    page = signed_in.get(f"/batches/{calculated.id}/results/survey").get_data(as_text=True)

    assert "Respondents: 5" in page
    row = re.search(r'<tr data-item="s2">.*?</tr>', page, re.S).group(0)
    # s2 is reverse-keyed (K = 4): answers 1, 2, 4, 3 become 4, 3, 1, 2 -> 25 % each
    assert row.count("25.0") == 4


def test_unknown_subjects_and_schools_are_404(signed_in, calculated):
    assert signed_in.get(f"/batches/{calculated.id}/results/art").status_code == 404
    assert signed_in.get(f"/batches/{calculated.id}/results/math/schools/Z").status_code == 404


def test_the_batch_page_links_every_subject_and_school(signed_in, calculated):
    page = signed_in.get(f"/batches/{calculated.id}").get_data(as_text=True)

    assert f'href="/batches/{calculated.id}/results/math"' in page
    assert f'href="/batches/{calculated.id}/results/math/schools/B"' in page
