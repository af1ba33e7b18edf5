"""In a real browser: an admin finds a refused payout e-mail and replays it once the server
recovers; the page follows it until the row turns `sent`."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, snap
from tests.mail import REFUSAL, pay


@pytest.mark.e2e
def test_an_admin_replays_a_refused_payout_email_from_the_browser(
    live_server, page, runtime, deliver, mailbox, make_account
):
    admin = make_account("admin")
    pay(runtime, amount=12345, email_address="rio@uberpopug.example")
    deliver()
    mailbox.refusal = REFUSAL
    pay(runtime, amount=4200, email_address="kesha@uberpopug.example")
    deliver()
    log_in(page, live_server, admin)
    page.locator("ul.dashboards").get_by_role("link", name="Payout e-mails").click()
    failure = page.locator("table.failures tbody tr")
    expect(failure).to_have_count(1)
    expect(failure).to_contain_text("kesha@uberpopug.example")
    expect(failure).to_contain_text("Mailbox of kesha is full")
    snap(page, "failure")
    mailbox.refusal = None
    failure.get_by_role("button", name="Replay").click()
    expect(page.locator("[data-watch]")).to_have_text(
        "Sent to kesha@uberpopug.example.", timeout=20_000
    )
    expect(page.locator('table.sent-log tr[data-status="sent"]')).to_have_count(2)
    expect(page.get_by_text("No failures waiting.")).to_be_visible()
    snap(page, "replayed")
    received = sorted(message["To"] for message in mailbox.received)
    assert received == ["kesha@uberpopug.example", "rio@uberpopug.example"]
