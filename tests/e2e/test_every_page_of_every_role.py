"""Every page of every role, in the demo company, at desktop and phone width.

The company is the one `make run` builds (`flask auth seed-demo`, `flask demo history`); each
page reachable from the home page's links is opened at 1366 and 390 px wide, saved as a
screenshot, and must not scroll sideways, log a browser error, or fail axe-core's WCAG 2.2 AA
rules (axe-core 4.14.1 from npm, vendored beside this file with its licence).
"""

import dataclasses
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from domains.tracker.tables import tasks
from tests.e2e.conftest import snap, watch_for_errors
from web.auth.cli import DEMO_ACCOUNTS

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {"desktop": 1366, "phone": 390}
PASSWORDS = {login: password for login, _name, _role, password in DEMO_ACCOUNTS}


@pytest.fixture
def demo_company(app, runtime, monkeypatch, deliver) -> str:
    """The demo company with its week of history; returns the path of its newest task's page."""
    embedded = dataclasses.replace(runtime.settings, environment="development")
    monkeypatch.setattr(runtime, "settings", embedded)
    runner = app.test_cli_runner()
    for command in (["auth", "seed-demo"], ["demo", "history"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    deliver()
    with runtime.db.reading() as session:
        newest = session.scalar(sa.select(tasks.c.public_id).order_by(tasks.c.id.desc()).limit(1))
    return f"/tasks/{newest}"


def accessibility_violations(page) -> list[str]:
    page.evaluate(AXE)
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    assert found["passes"], "axe-core checked nothing"
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + json.dumps([node["target"] for node in v["nodes"][:3]])
        for v in found["violations"]
    ]


def read_well(page, where: str, width: int) -> list[str]:
    """Save the page's screenshot; what keeps it from reading well at this width."""
    snap(page, where.split(" ", 1)[1].strip("/").replace("/", "_")[:40] or "home")
    problems = [f"{where}: {violation}" for violation in accessibility_violations(page)]
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        problems.append(f"{where}: scrolls sideways ({wide} px wide)")
    return problems


def pages_of(page, base: str, task_page: str) -> list[str]:
    """The home page, every page its links lead to, a task's page, and a page that is not."""
    page.goto(f"{base}/")
    links = page.locator("main a[href^='/'], header a[href^='/']")
    paths = {"/", "/tasks/new", "/no-such-page", task_page}
    paths.update(links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    return sorted(paths)


@pytest.mark.parametrize("login", ["kesha", "accountant", "manager", "admin"])
def test_every_page_of_the_role_reads_well_on_a_desktop_and_a_phone(
    browser, live_server, demo_company, login
):
    problems: list[str] = []
    for device in WIDTHS:
        problems += visit_every_page(browser, live_server, demo_company, login, device, "en-US")
    assert problems == [], "\n".join(problems)


def test_every_admin_page_reads_well_in_russian_on_a_phone(browser, live_server, demo_company):
    """Russian runs longer than English: the narrowest screen shows whether it still fits."""
    problems = visit_every_page(browser, live_server, demo_company, "admin", "phone", "ru-RU")
    assert problems == [], "\n".join(problems)


def visit_every_page(browser, live_server, task_page, login, device, locale) -> list[str]:
    width, problems = WIDTHS[device], []
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    watch_for_errors(page, problems, who=f"{login}@{width}")
    page.snap_prefix, page.snap_count = f"every-page-{login}-{device}-{locale}", 0
    page.goto(f"{live_server.url}/login")
    problems += read_well(page, f"{login}@{width} /login", width)
    page.fill("#login", login)
    page.fill("#password", PASSWORDS[login])
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for path in pages_of(page, live_server.url, task_page):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        problems += read_well(page, f"{login}@{width} {path}", width)
    context.close()
    return problems


def test_the_phone_menu_opens_and_closes_with_the_keyboard(browser, live_server, demo_company):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    watch_for_errors(page, problems)
    page.goto(f"{live_server.url}/login")
    page.fill("#login", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.press("#password", "Enter")
    page.wait_for_url(f"{live_server.url}/")
    menu = page.get_by_role("navigation", name="main")
    expect(menu).to_be_hidden()
    toggle = page.get_by_role("button", name="Menu")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("link", name="All tasks").click()
    page.wait_for_url(f"{live_server.url}/tasks/all")
    context.close()
    assert problems == []


def test_the_skip_link_is_the_first_stop_and_lands_on_the_content(page, live_server, demo_company):
    page.goto(f"{live_server.url}/login")
    page.fill("#login", "kesha")
    page.fill("#password", PASSWORDS["kesha"])
    page.press("#password", "Enter")
    page.wait_for_url(f"{live_server.url}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
