"""A session that ends while a page is open: the next click goes to the login page and back."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, snap

pytestmark = pytest.mark.e2e


def test_mark_done_after_the_session_ended_logs_in_again_and_comes_back(
    page, live_server, make_account, deliver
):
    kesha = make_account("worker")  # the only parrot: every task is hers
    log_in(page, live_server, kesha)
    page.goto(f"{live_server.url}/tasks/")
    page.fill("#title", "Water the ferns")
    page.click("#new-task button")
    expect(page.locator("#created-tasks")).to_contain_text("Water the ferns")
    expect(page.locator("#created-tasks")).to_have_attribute("aria-live", "polite")
    page.reload()
    page.context.clear_cookies()  # the session ends (expired, or ended from another browser)

    page.locator("#my-tasks").get_by_role("button", name="Mark done").click()
    page.wait_for_url("**/login?next=/tasks/")
    expect(page.locator("main")).to_contain_text("Your session ended")
    expect(page.locator("#my-tasks")).to_have_count(0)  # no page pasted into the task row
    snap(page, "session-ended")
    page.fill("#login", kesha.login)
    page.fill("#password", kesha.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tasks/")
    page.locator("#my-tasks").get_by_role("button", name="Mark done").click()
    expect(page.locator("#my-tasks .status.done")).to_have_count(1)
    snap(page, "done-after-login")
