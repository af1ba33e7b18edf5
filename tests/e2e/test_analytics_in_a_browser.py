"""In a real browser: an admin opens analytics from the navigation and reads the figures the
events imply; a worker has no such link and gets 403."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import log_in, snap
from tests.integration.analytics.stream import four_days

pytestmark = pytest.mark.e2e


def test_an_admin_reads_the_analytics_figures_and_a_worker_gets_403(
    browser, page, live_server, runtime, deliver, make_account
):
    today = datetime.now(ZoneInfo(runtime.settings.timezone)).date()
    first = today - timedelta(days=3)
    four_days(today).send_to_analytics(runtime)
    admin, worker = make_account("admin"), make_account("worker")
    deliver()

    log_in(page, live_server, admin)
    page.locator("nav").get_by_role("link", name="Analytics").click()
    page.wait_for_url(f"{live_server.url}/analytics/")
    snap(page, "analytics")
    assert page.text_content("#earnings-today") == "$1.00"
    assert page.text_content("#parrots-in-the-red") == "2"
    assert "Feed the parrots" in page.text_content("#most-expensive-today")
    assert "Kesha Popugaev" in page.text_content("#most-expensive-today")

    page.fill("input[name=start]", str(first))
    page.fill("input[name=end]", str(today))
    page.click("#analytics-range button[type=submit]")
    page.wait_for_url(f"**/analytics/?start={first}&end={today}")
    snap(page, "range")
    rewards = page.locator("#most-expensive-by-day .reward").all_text_contents()
    assert rewards == ["$28.00", "$38.00", "$30.00", "$39.00"]  # newest day first
    assert "$39.00" in page.text_content("#most-expensive-range")
    assert page.locator("#earnings-chart rect.bar").count() == 4

    page.fill("input[name=start]", str(today))
    page.fill("input[name=end]", str(first))
    page.click("#analytics-range button[type=submit]")
    page.wait_for_selector("#end-error")
    snap(page, "bad-range")
    assert page.text_content("#end-error") == "The range ends before it starts."

    other = browser.new_context().new_page()
    other.snap_prefix, other.snap_count = f"{page.snap_prefix}-worker", 0  # for `snap`
    log_in(other, live_server, worker)
    assert other.locator("nav").get_by_role("link", name="Analytics").count() == 0
    assert other.goto(f"{live_server.url}/analytics/").status == 403
    other.context.close()
