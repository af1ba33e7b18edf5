"""An admin, in a real browser: log in, create a worker, change a role, deactivate an account."""

import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from domains.auth import queries
from outbox.tables import events, inbox
from tests.e2e.conftest import log_in, snap

pytestmark = pytest.mark.e2e


def _wait_until_handled(runtime, public_ids, expected_count, timeout=30):
    """The account events of these parrots, once relayed and handled by the other consumers."""
    deadline = time.monotonic() + timeout
    while True:
        with runtime.db.transaction() as session:
            rows = session.execute(
                sa.select(
                    events.c.event_id, events.c.event_name, events.c.relayed_at, events.c.data
                )
                .where(events.c.key.in_(public_ids))
                .order_by(events.c.id)
            ).all()
            handled = set(
                map(
                    str,
                    session.scalars(
                        sa.select(inbox.c.event_id).where(inbox.c.consumer == "account_watcher")
                    ),
                )
            )
        done = [r for r in rows if r.relayed_at is not None and str(r.event_id) in handled]
        if len(done) >= expected_count or time.monotonic() > deadline:
            return rows, done
        time.sleep(0.2)


def test_an_admin_manages_accounts_and_the_other_domains_hear_of_it(
    page, live_server, runtime, make_account
):
    admin = make_account("admin", login="ara", full_name="Ara Adminova")
    kesha = make_account("worker", login="kesha", full_name="Kesha Popugaev")
    gosha = make_account("worker", login="gosha", full_name="Gosha Zelenov")
    log_in(page, live_server, admin)
    snap(page, "home")
    expect(page.locator("nav").get_by_role("link", name="Accounts")).to_be_visible()

    page.locator("nav").get_by_role("link", name="Accounts").click()
    page.wait_for_url("**/accounts")
    snap(page, "accounts")
    page.get_by_role("link", name="New account").click()
    page.fill("#login", "rio")
    page.fill("#full_name", "Rio Ara")
    page.fill("#email", "not-an-email")
    page.fill("#password", "rio-secret")
    page.click("button:has-text('Create account')")
    expect(page.locator("#email-error")).to_contain_text("not an e-mail address")
    snap(page, "new-account-refused")
    page.fill("#email", "rio@uberpopug.example")
    page.fill("#password", "rio-secret")
    page.click("button:has-text('Create account')")
    page.get_by_text("Account rio created.").wait_for()
    snap(page, "new-account")

    page.goto(f"{live_server.url}/accounts")
    page.fill("#q", "kesha")
    page.locator("#account-rows").get_by_role("link", name="gosha").wait_for(state="detached")
    snap(page, "search")
    page.locator("#account-rows").get_by_role("link", name="kesha").click()
    page.select_option("#role", "manager")
    page.click("button:has-text('Change role')")
    page.get_by_text("kesha is now manager.").wait_for()
    snap(page, "role-changed")

    page.goto(f"{live_server.url}/accounts/{gosha.public_id}")
    page.click("button:has-text('Deactivate')")
    page.get_by_text("gosha is deactivated.").wait_for()
    snap(page, "deactivated")

    with runtime.db.transaction() as session:
        rio = queries.account_by_login(session, "rio")
        assert queries.account(session, kesha.public_id).role == "manager"
        assert queries.account(session, gosha.public_id).active is False
    ids = [rio.public_id, kesha.public_id, gosha.public_id]
    rows, handled = _wait_until_handled(runtime, ids, expected_count=5)
    names = [(row.event_name, row.data["login"]) for row in handled]
    assert sorted(names) == sorted(
        [
            ("account.created", "kesha"),
            ("account.created", "gosha"),
            ("account.created", "rio"),
            ("account.role_changed", "kesha"),
            ("account.deactivated", "gosha"),
        ]
    )
    assert len(rows) == 5

    page.click("button:has-text('Log out')")
    page.wait_for_url("**/login")
    snap(page, "logged-out")
    page.fill("#login", "gosha")
    page.fill("#password", gosha.password)
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("This account is deactivated.")


def test_an_ended_session_sends_an_htmx_search_to_the_login_page_and_back_again(
    page, live_server, make_account
):
    admin = make_account("admin", login="ara")
    make_account("worker", login="kesha")
    log_in(page, live_server, admin)
    page.goto(f"{live_server.url}/accounts")
    page.context.clear_cookies()  # the session ended (logged out elsewhere, cookie gone)
    page.fill("#q", "kesha")
    page.wait_for_url(f"{live_server.url}/login?next=/accounts")
    snap(page, "login-after-session-ended")
    page.fill("#login", admin.login)
    page.fill("#password", admin.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts")  # the page they were on
    page.fill("#q", "kesha")
    expect(page.locator("#account-rows")).not_to_contain_text("ara")
    expect(page.locator("#account-rows")).to_contain_text("kesha")
