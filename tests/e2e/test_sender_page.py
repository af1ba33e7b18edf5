"""In a real browser: an admin finds a refused payout e-mail and replays it once the server
recovers; the row turns `sent` on the open page."""

import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.mail import REFUSAL, pay

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
def server_url(app, runtime):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def browser_page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
    assert errors == []  # no script on the page failed


@pytest.mark.e2e
def test_an_admin_replays_a_refused_payout_email_from_the_browser(
    server_url, browser_page, runtime, deliver, mailbox, make_account
):
    admin = make_account("admin")
    mailbox.refusal = REFUSAL
    pay(runtime, amount=4200, email_address="kesha@uberpopug.example")
    deliver()
    page = browser_page
    page.goto(f"{server_url}/login")
    page.fill("#login", admin.login)
    page.fill("#password", admin.password)
    page.click("button[type=submit]")
    page.locator("ul.dashboards").get_by_role("link", name="Payout e-mails").click()  # from home
    failure = page.locator("table.failures tbody tr")
    expect(failure).to_have_count(1)
    expect(failure).to_contain_text("Mailbox of kesha is full")
    mailbox.refusal = None
    failure.get_by_role("button", name="Replay").click()
    expect(page.locator("[data-watch]")).to_have_text(
        "Sent to kesha@uberpopug.example.", timeout=20_000
    )
    row = page.locator('table.sent-log tr[data-status="sent"]')
    expect(row).to_contain_text("kesha@uberpopug.example")
    expect(page.get_by_text("No failures waiting.")).to_be_visible()
    assert [message["To"] for message in mailbox.received] == ["kesha@uberpopug.example"]
