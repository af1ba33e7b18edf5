"""Browser tests: the real app on a real port, driven by Debian's chromium through Playwright.

- `live_server`: the app served by werkzeug in a thread on a free 127.0.0.1 port (its `.url`),
  with a relay thread and the session's Dramatiq worker, so events flow as in `make run`.
- `page`: a fresh browser context and page; any JS console error or page error fails the test.
- `log_in(page, live_server, account)`: logs in through the real form.
- `snap(page, name)`: a screenshot into `test-artifacts/` (gitignored; `ATES_ARTIFACTS` moves it,
  e.g. to a folder CI keeps), one per page visited.
Tests that use them are marked `@pytest.mark.e2e`; they take the `runtime` fixture as usual for
fresh tables, and `make_account` / `deliver` work alongside.
"""

import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ATES_ARTIFACTS") or ROOT / "test-artifacts")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server")

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def _http_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(_http_server, runtime, session_worker):
    """The served app, fresh tables, and a relay thread for this test only (so it never races
    the outbox tests that count what relays send)."""
    stop_relay = threading.Event()
    relay = threading.Thread(
        target=runtime.relay().run,
        args=(stop_relay, runtime.retention),
        name="live-relay",
        daemon=True,
    )
    relay.start()
    yield _http_server
    stop_relay.set()
    relay.join(timeout=10)
    assert not relay.is_alive(), "the relay thread did not stop"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    watch_for_errors(page, problems)
    page.snap_prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    page.snap_count = 0
    yield page
    context.close()
    assert problems == [], "JavaScript errors in the browser:\n" + "\n".join(problems)


def watch_for_errors(page, problems: list[str], who: str = "") -> None:
    """Collect the page's JS errors and failed sub-resources into `problems`."""
    documents: set[str] = set()
    prefix = f"{who} " if who else ""

    def on_response(response):
        if response.request.resource_type == "document":
            documents.add(response.url)

    def on_console(message):
        # Chromium logs every 4xx page as "Failed to load resource"; a refused form answering
        # 422 is the app working, so only failed sub-resources (scripts, styles...) count.
        page_answer = message.location.get("url") in documents and message.text.startswith(
            "Failed to load resource"
        )
        if message.type == "error" and not page_answer:
            problems.append(f"{prefix}console: {message.text} ({message.location.get('url')})")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{prefix}page error: {error}"))


def snap(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<test>-<n>-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.snap_count += 1
    path = ARTIFACTS / f"{page.snap_prefix}-{page.snap_count:02d}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, live_server, account) -> None:
    """Log in through the form, as a parrot would, and wait for the home page."""
    page.goto(f"{live_server.url}/login")
    snap(page, "login")
    page.fill("#login", account.login)
    page.fill("#password", account.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def open_from_nav(page, link: str) -> None:
    """Follow a link of the main navigation, and wait until the page's scripts have run: a
    press before htmx has taken a form posts the plain form instead (tested on its own)."""
    page.get_by_role("navigation", name="main").get_by_role("link", name=link).click()
    page.wait_for_load_state()
