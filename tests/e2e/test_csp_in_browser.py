"""Every page of every role, in a real browser under the Content-Security-Policy: no violation.

A listener installed before any page script records `securitypolicyviolation` events; the
`page` fixture also fails on any console error (Chromium logs each refused inline style or
script there).
"""

from urllib.parse import urlsplit

import pytest

from domains.tracker import commands as tracker
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI}`);
});
"""

# Downloads are no pages; logging out is a form, never a link.
NOT_PAGES = (".csv", ".xlsx", ".json", "/logout")


def _violations(page) -> list[str]:
    return page.evaluate("window.cspViolations")


def _same_site_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base or parts.path.endswith(NOT_PAGES):
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def _walk(page, base: str, limit: int = 40) -> list[str]:
    """Every page reachable in two clicks from home, each checked for violations."""
    seen, queue = set(), [("/", 0)]
    while queue and len(seen) < limit:
        path, depth = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert _violations(page) == [], f"CSP violations on {path}"
        if depth < 2:
            queue.extend((link, depth + 1) for link in _same_site_links(page, base))
    return sorted(seen)


@pytest.mark.parametrize("role", ["admin", "manager", "accountant", "worker"])
def test_every_page_of_each_role_runs_under_the_csp_without_a_violation(
    page, live_server, runtime, make_account, role
):
    admin = make_account("admin")
    make_account("worker")
    parrot = make_account(role) if role != "admin" else admin
    with runtime.db.transaction() as session:
        tracker.create_task(session, title="Walk the pages", created_by=admin.public_id)
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, live_server, parrot)
    visited = _walk(page, live_server.url)
    assert "/" in visited and len(visited) >= 3, visited


def test_an_inline_script_is_refused_and_reported(browser, live_server, runtime, make_account):
    """The check above can fail: the policy really blocks what it forbids."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/login")
    page.evaluate(
        """() => { const s = document.createElement('script');
        s.textContent = 'window.injected = true'; document.head.appendChild(s); }"""
    )
    page.evaluate(
        """() => { const s = document.createElement('style');
        s.textContent = 'body { color: red }'; document.head.appendChild(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    blocked = _violations(page)
    context.close()
    assert any(v.startswith("script-src") for v in blocked), blocked
    assert any(v.startswith("style-src") for v in blocked), blocked
