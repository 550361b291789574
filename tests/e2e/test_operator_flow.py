"""The operator's whole flow in headless Chromium against the real server, worker and Redis:
sign in, create a batch, upload, start, watch the live progress, read the results."""
import os
import time
from pathlib import Path

import pytest

from tests.conftest import REALDATA, TEST_PASSWORD
from tests.helpers import csv_bytes
from tests.test_tasks import QUESTIONS, SCORES

pytestmark = pytest.mark.e2e
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (the CI script does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def _data_files(tmp_path):
    """The real czmatura_s files when ../shared is there, else a small sheet in the same layout."""
    folder = REALDATA / "czmatura_s"
    if folder.is_dir():
        return folder / "questions.csv", folder / "scores.csv", "数学"
    (tmp_path / "questions.csv").write_bytes(csv_bytes(QUESTIONS))
    (tmp_path / "scores.csv").write_bytes(csv_bytes(SCORES))
    return tmp_path / "questions.csv", tmp_path / "scores.csv", "math"


def test_an_operator_calculates_a_batch_and_reads_the_results(live_server, slow_worker, user, browser_page, tmp_path):
    page = browser_page
    questions, scores, subject = _data_files(tmp_path)

    page.goto(live_server + "/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.click("text=New batch")
    page.fill("input[name=batch_code]", "e2e-2026")
    page.fill("input[name=region_name]", "Test region")
    page.click("button:has-text('Create batch')")
    page.wait_for_selector("text=Batch e2e-2026 created.")

    page.set_input_files("input[name=questions]", str(questions))
    page.set_input_files("input[name=scores]", str(scores))
    page.click("button:has-text('Upload')")
    page.wait_for_selector("text=Imported")
    page.click("button:has-text('Start calculation')")
    page.wait_for_url("**/tasks/**")
    # A full page reload would drop this marker; htmx swaps only the fragment.
    page.evaluate("window.notReloaded = true")

    seen = _watch_progress(page)

    assert any(status == "running" and 0 < progress < 100 for status, progress in seen), seen
    assert seen[-1] == ("completed", 100)
    assert page.evaluate("window.notReloaded === true")
    assert page.locator("#task-progress[hx-trigger]").count() == 0
    page.click("text=See the results")
    table = page.locator(f"table.results-table[data-subject='{subject}']")
    table.wait_for()
    assert table.locator("tr.region td").nth(1).inner_text().strip().isdigit()


def _watch_progress(page, seconds=60):
    """Read the progress fragment as htmx refreshes it, until the task ends."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        section = page.locator("#task-progress")
        status = section.get_attribute("data-status")
        progress = float(section.locator("progress.overall").get_attribute("value"))
        if not seen or seen[-1] != (status, progress):
            seen.append((status, progress))
        if status in ("completed", "failed", "cancelled"):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"the task page never showed an end: {seen}")
