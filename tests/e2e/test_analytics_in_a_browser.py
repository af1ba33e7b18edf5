"""In a real browser: an admin opens analytics from the home page and reads the figures; other
roles get 403."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.integration.analytics.stream import four_days

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_url(app, runtime):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def log_in(browser, live_url, account):
    page = browser.new_page()
    page.goto(f"{live_url}/login")
    page.fill("#login", account.login)
    page.fill("#password", account.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    return page


@pytest.mark.e2e
def test_an_admin_reads_the_analytics_figures_and_other_roles_get_403(
    runtime, deliver, make_account, live_url, browser
):
    today = datetime.now(ZoneInfo(runtime.settings.timezone)).date()
    with runtime.db.transaction() as session:
        four_days(today).publish(session)
    admin, worker = make_account("admin"), make_account("worker")
    deliver()

    page = log_in(browser, live_url, admin)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.click("nav >> text=Analytics")
    page.wait_for_url(f"{live_url}/analytics/")
    assert page.text_content("#earnings-today") == "1$"
    assert page.text_content("#parrots-in-the-red") == "2"
    assert "Feed the parrots" in page.text_content("#most-expensive-today")
    # A range through the picker (htmx swaps the section and keeps the URL).
    page.fill("input[name=start]", str(today - timedelta(days=3)))
    page.fill("input[name=end]", str(today))
    page.click("#analytics-range button[type=submit]")
    page.wait_for_url(f"**/analytics/?start={today - timedelta(days=3)}&end={today}")
    rewards = page.locator("#most-expensive-by-day .reward").all_text_contents()
    assert rewards == ["28$", "38$", "30$", "39$"]
    assert "39$" in page.text_content("#most-expensive-range")
    assert page.locator("#earnings-chart rect.bar").count() == 4
    # A bad range: the message appears next to the field, nothing else breaks.
    page.fill("input[name=start]", str(today))
    page.fill("input[name=end]", str(today - timedelta(days=1)))
    page.click("#analytics-range button[type=submit]")
    assert page.text_content("#end-error") == "The range ends before it starts."
    assert errors == []

    other = log_in(browser, live_url, worker)
    assert other.locator("nav >> text=Analytics").count() == 0
    assert other.goto(f"{live_url}/analytics/").status == 403
