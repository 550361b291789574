"""Bulk start from the batch list in headless Chromium: tick three batches, start them, watch the
list show them running and then completed, and open the system page."""
import time

import pytest

from tests.conftest import TEST_PASSWORD
from tests.e2e.test_operator_flow import browser_page  # noqa: F401  (fixture)
from tests.test_tasks import _batch_with_data

pytestmark = pytest.mark.e2e


def test_an_operator_starts_three_batches_at_once(live_server, slow_worker, user, api, browser_page):  # noqa: F811
    page = browser_page
    for code in ("bulk-1", "bulk-2", "bulk-3"):
        _batch_with_data(api, code)
    page.goto(live_server + "/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")

    for code in ("bulk-1", "bulk-2", "bulk-3"):
        page.check(f"tr[data-batch='{code}'] input[type=checkbox]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Start selected')")
    page.wait_for_selector("text=Started: 3; not done: 0.")

    seen = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        statuses = {row.get_attribute("data-status") for row in page.locator("tr[data-batch]").all()}
        seen |= statuses
        if statuses == {"completed"}:
            break
        time.sleep(0.3)
    assert "running" in seen, seen
    assert statuses == {"completed"}, statuses

    page.click("nav >> text=System")
    assert page.locator("[data-health]").get_attribute("data-health") in ("healthy", "degraded")
    assert page.locator("text=RQ dashboard").count() == 1
