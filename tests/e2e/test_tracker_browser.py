"""In a real browser: a worker adds a task, a manager reassigns, the assignee completes it."""

import threading

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from domains.tracker.tables import tasks
from outbox.tables import events
from tests.processes import free_port

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
def live_server(app, runtime):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Parrot:
    """One logged-in browser tab, failing the test on any script error."""

    def __init__(self, browser, base_url, account):
        self.page = browser.new_context(base_url=base_url).new_page()
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.goto("/login")
        self.page.fill("#login", account.login)
        self.page.fill("#password", account.password)
        self.page.click("button[type=submit]")
        expect(self.page.locator("h1")).to_contain_text("Hello")

    def _console(self, message) -> None:
        # Chromium logs every 4xx as "Failed to load resource" (a 422 form, the favicon):
        # answers, not script errors.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def open(self, link: str):
        self.page.get_by_role("navigation", name="main").get_by_role("link", name=link).click()


@pytest.mark.e2e
def test_a_task_is_added_reassigned_and_completed_in_the_browser(
    browser, live_server, make_account, runtime, deliver
):
    kesha, gosha = make_account("worker"), make_account("worker")
    manager = make_account("manager")

    worker = Parrot(browser, live_server, kesha)
    worker.open("My tasks")
    worker.page.evaluate("window.notReloaded = true")
    worker.page.fill("#title", "[UBERPOP-42] Feed the parrots")
    worker.page.click("#new-task button")
    expect(worker.page.locator("#title-error")).to_contain_text("its own Jira id field")
    worker.page.fill("#title", "Feed the parrots")
    worker.page.fill("#jira_id", "UBERPOP-42")
    worker.page.click("#new-task button")
    expect(worker.page.locator("#created-tasks li")).to_contain_text("Feed the parrots")
    expect(worker.page.locator("#title")).to_have_value("")
    assert worker.page.evaluate("window.notReloaded") is True

    boss = Parrot(browser, live_server, manager)
    boss.open("All tasks")
    expect(boss.page.locator("#all-tasks")).to_contain_text("Feed the parrots")
    boss.page.click("#reassign")
    expect(boss.page.locator("#reassign-result")).to_have_text("Reassigned 1 open task.")
    expect(boss.page.locator("#all-tasks")).to_contain_text("#2")  # the table reloaded itself

    with runtime.db.transaction() as session:
        assignee = session.scalar(sa.select(tasks.c.assignee))
    doer = Parrot(browser, live_server, kesha if assignee == kesha.public_id else gosha)
    doer.open("My tasks")
    doer.page.get_by_role("button", name="Mark done").click()
    expect(doer.page.locator("#my-tasks .task")).to_contain_text("Done ✓")

    deliver()
    with runtime.db.transaction() as session:
        published = session.execute(
            sa.select(events.c.event_name, events.c.relayed_at).order_by(events.c.id)
        ).all()
    tracker_events = [name for name, _ in published if name.startswith("task.")]
    assert tracker_events == [
        "task.created",
        "task.added",
        "task.assigned",
        "task.assigned",
        "task.completed",
    ]
    assert all(relayed_at is not None for _, relayed_at in published)
    assert worker.errors == boss.errors == doer.errors == []
