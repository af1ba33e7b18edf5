"""In a real browser: a worker adds a task, a manager reassigns, the assignee completes it;
a manager searches all tasks by assignee."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from domains.tracker.tables import reassigns, tasks
from outbox.tables import events
from tests.e2e.conftest import log_in, open_from_nav, snap
from tests.tracker_support import add_open_tasks

pytestmark = pytest.mark.e2e


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")


def test_a_task_is_added_reassigned_and_completed_in_the_browser(
    page, live_server, make_account, runtime, deliver
):
    kesha, gosha = make_account("worker"), make_account("worker")
    manager = make_account("manager")

    log_in(page, live_server, kesha)
    open_from_nav(page, "My tasks")
    page.evaluate("window.notReloaded = true")
    page.fill("#title", "[UBERPOP-42] Feed the parrots")
    page.click("#new-task button")  # refused: 422, swapped in by htmx next to the title
    expect(page.locator("#title-error")).to_contain_text("its own Jira id field")
    snap(page, "refused-title")
    page.fill("#title", "Feed the parrots")
    page.fill("#jira_id", "UBERPOP-42")
    page.click("#new-task button")
    expect(page.locator("#created-tasks li")).to_contain_text("Feed the parrots")
    expect(page.locator("#title")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    snap(page, "task-added")
    log_out(page)

    log_in(page, live_server, manager)
    open_from_nav(page, "All tasks")
    expect(page.locator("#all-tasks")).to_contain_text("Feed the parrots")
    page.click("#reassign")  # asks first
    expect(page.locator("#reassign-figures")).to_contain_text("Every one of the 1 open tasks")
    form = page.locator("#reassign-confirm form")
    expect(form).to_have_attribute("hx-disabled-elt", "find button")  # pressed twice: once
    snap(page, "reassign-confirm")
    page.click("#confirm-reassign")
    expect(page.locator("#reassign-moved")).to_have_text("Reassigned 1 open task.")
    snap(page, "reassigned")
    open_from_nav(page, "All tasks")
    expect(page.locator("#all-tasks")).to_contain_text("#2")
    log_out(page)

    with runtime.db.transaction() as session:
        assignee = session.scalar(sa.select(tasks.c.assignee))
    log_in(page, live_server, kesha if assignee == kesha.public_id else gosha)
    open_from_nav(page, "My tasks")
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator("#my-tasks .task")).to_contain_text("Done ✓")
    snap(page, "completed")

    deliver()
    with runtime.db.transaction() as session:
        published = session.execute(
            sa.select(events.c.event_name, events.c.relayed_at)
            .where(events.c.producer == "tracker")
            .order_by(events.c.id)
        ).all()
    assert [row.event_name for row in published] == [
        "task.created",
        "task.added",
        "task.assigned",
        "task.assigned",
        "task.completed",
    ]
    assert all(row.relayed_at is not None for row in published)


def test_a_reassign_pressed_before_the_scripts_ran_still_reassigns_on_a_slow_phone(
    page, live_server, make_account, runtime
):
    """On a slow connection the button is on screen before htmx has taken its form: the press
    posts the plain form, and the manager lands on the same summary, once."""
    kesha, manager = make_account("worker"), make_account("manager")
    add_open_tasks(runtime, 3, assignee=kesha.public_id)
    log_in(page, live_server, manager)
    open_from_nav(page, "All tasks")
    slow = page.context.new_cdp_session(page)
    slow.send("Network.enable")
    slow.send("Network.setCacheDisabled", {"cacheDisabled": True})
    slow.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 2000, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    page.click("#reassign")
    expect(page.locator("#reassign-title")).to_contain_text("Reassign 3 open tasks?")
    assert page.evaluate("document.readyState") != "complete"  # the scripts are still coming
    with page.expect_response(lambda r: r.request.method == "POST") as pressed:
        page.click("#confirm-reassign")
    assert pressed.value.status == 303  # the plain form's answer: to the press's own page
    expect(page.locator("#reassign-moved")).to_have_text("Reassigned 3 open tasks.")
    expect(page).to_have_url(re.compile(r"/tasks/reassigns/\d+$"))
    with runtime.db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(reassigns)) == 1


def test_typing_an_assignee_narrows_all_tasks_without_a_page_load(
    browser, page, live_server, make_account, runtime
):
    kesha = make_account("worker", login="kesha", full_name="Kesha Popugaev")
    gosha = make_account("worker", login="gosha", full_name="Gosha Popugaev")
    manager = make_account("manager")
    add_open_tasks(runtime, 3, assignee=kesha.public_id)
    add_open_tasks(runtime, 2, assignee=gosha.public_id)
    rows = page.locator("#all-tasks tbody tr")

    log_in(page, live_server, manager)
    open_from_nav(page, "All tasks")
    expect(rows).to_have_count(5)
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Assignee").press_sequentially("KES")
    expect(rows).to_have_count(3)
    expect(page.locator("#all-tasks")).to_contain_text("login or name contains “KES”")
    expect(page).to_have_url(re.compile(r"parrot=KES"))
    snap(page, "searched")
    page.get_by_label("Assignee").fill("zazu")
    expect(page.locator("#all-tasks")).to_contain_text("No parrot's login or name contains “zazu”.")
    snap(page, "nobody-named")
    page.get_by_label("Status").select_option("done")
    page.get_by_label("Assignee").fill("popugaev")
    expect(page.locator("#all-tasks")).to_contain_text("0 tasks done of parrots whose")
    assert page.evaluate("window.notReloaded") is True

    # Without JavaScript the Filter button loads the filtered page.
    plain = browser.new_context(java_script_enabled=False).new_page()
    plain.goto(f"{live_server.url}/login")
    plain.fill("#login", manager.login)
    plain.fill("#password", manager.password)
    plain.click("button[type=submit]")
    plain.wait_for_url(f"{live_server.url}/")
    plain.goto(f"{live_server.url}/tasks/all")
    plain.get_by_label("Assignee").fill("gosha")
    plain.get_by_role("button", name="Filter").click()
    expect(plain).to_have_url(re.compile(r"/tasks/all\?q=&status=&parrot=gosha$"))
    expect(plain.locator("#all-tasks tbody tr")).to_have_count(2)
    plain.context.close()


def test_a_parrot_pages_through_hundreds_of_tasks_on_a_phone_with_the_keyboard(
    page, live_server, make_account, runtime
):
    kesha, manager = make_account("worker"), make_account("manager")
    add_open_tasks(runtime, 120, assignee=kesha.public_id)
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, live_server, kesha)
    expect(page.locator("#my-open-count")).to_contain_text("120")
    expect(page.locator("#home-tasks li")).to_have_count(8)
    page.get_by_role("link", name="All my open tasks (120)").click()
    expect(page.get_by_role("navigation", name="pages")).to_contain_text("Page 1 of 3")
    expect(page.locator("#my-tasks form")).to_have_count(50)
    next_page = page.get_by_role("link", name="Next →")
    next_page.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("navigation", name="pages")).to_contain_text("Page 2 of 3")
    assert page.url.endswith("/tasks/?page=2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    snap(page, "my-tasks-page-2-phone")
    page.locator("#my-tasks").get_by_role("button", name="Mark done").first.click()
    expect(page.locator("#my-tasks .status.done")).to_have_count(1)
    page.context.clear_cookies()  # the manager's turn, on the same phone

    with runtime.db.transaction() as session:
        session.execute(sa.update(tasks).values(status="done"))
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/tasks/reassign")
    expect(page.locator("#reassign-title")).to_have_text("No open tasks to reassign")
    expect(page.locator("#confirm-reassign")).to_have_count(0)
    snap(page, "reassign-nothing-open-phone")
