"""Browser fixtures: the app served on a real port, and Debian's chromium driven by Playwright.

- `live_server`: the session's app served by a threaded werkzeug server on a free port, in this
  process (so `deliver()` and `make_account` act on the same database and broker); its URL.
- `page`: a fresh chromium page (never a downloaded browser).
- `screenshot(page, name)`: saves `test-artifacts/<name>.png`.
- `log_in_browser(page, account)`: through the real login form.
"""

import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def _served_app(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def live_server(_served_app, runtime):
    return _served_app


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    def save(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def log_in_browser(live_server):
    def log_in(page, account) -> None:
        page.goto(f"{live_server}/login")
        page.fill("#login", account.login)
        page.fill("#password", account.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/")

    return log_in
