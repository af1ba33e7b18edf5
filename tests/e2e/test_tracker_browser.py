"""In a real browser: a worker adds a task, a manager reassigns, the assignee completes it."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from domains.tracker.tables import tasks
from outbox.tables import events
from tests.e2e.conftest import log_in, snap

pytestmark = pytest.mark.e2e


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")


def open_from_nav(page, link: str) -> None:
    page.get_by_role("navigation", name="main").get_by_role("link", name=link).click()


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
    expect(page.locator("#reassign")).to_have_attribute("hx-disabled-elt", "this")
    page.click("#reassign")
    expect(page.locator("#reassign-result")).to_have_text("Reassigned 1 open task.")
    expect(page.locator("#all-tasks")).to_contain_text("#2")  # the table reloaded itself
    snap(page, "reassigned")
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
