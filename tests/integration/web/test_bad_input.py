"""Bad input on every form and query string: a clear message or a 4xx, and nothing changes.

Each case runs against a small company (an admin, two workers, an open and a done task) and
compares every table of every domain, and the outbox, row by row before and after.
"""

import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from ates.database import metadata
from domains.auth.tables import address_failures, login_failures
from domains.tracker import commands as tracker
from tests.conftest import fetch_csrf_token, log_in

UNKNOWN = str(uuid.UUID(int=12345))
LONG = "x" * 201


@dataclass(frozen=True)
class Case:
    who: str  # admin, assignee (of the open task), stranger (the other worker), done (its doer)
    method: str
    url: str
    data: dict | None = None
    status: int = 400
    text: str = ""
    htmx: bool = False
    follow: bool = False


def task_form(**fields):
    return {"title": "Feed the parrots", "jira_id": "", "description": ""} | fields


def account_form(**fields):
    values = {
        "login": "newparrot",
        "full_name": "New Parrot",
        "email": "new@uberpopug.example",
        "role": "worker",
        "password": "long-enough-password",
    }
    return values | fields


CASES = {
    # the new task form (htmx and plain)
    "task: empty title": Case(
        "assignee", "POST", "/tasks/", task_form(title=""), 422, "A task needs a title.", True
    ),
    "task: blank title": Case(
        "assignee", "POST", "/tasks/", task_form(title="   "), 422, "A task needs a title.", True
    ),
    "task: title too long": Case(
        "assignee", "POST", "/tasks/", task_form(title=LONG), 422, "at most 200", True
    ),
    "task: brackets in the title": Case(
        "assignee",
        "POST",
        "/tasks/",
        task_form(title="[UBERPOP-1] Feed"),
        422,
        "may not contain [ or ]",
        True,
    ),
    "task: closing bracket only": Case(
        "assignee", "POST", "/tasks/", task_form(title="Feed]"), 422, "may not contain [ or ]"
    ),
    "task: bad Jira id": Case(
        "assignee",
        "POST",
        "/tasks/",
        task_form(jira_id="UBER POP"),
        422,
        "A Jira id looks like UBERPOP-42",
        True,
    ),
    "task: Jira id too long": Case(
        "assignee",
        "POST",
        "/tasks/",
        task_form(jira_id="UBERPOP-" + "1" * 40),
        422,
        "A Jira id looks like UBERPOP-42",
    ),
    "task: description too long": Case(
        "assignee",
        "POST",
        "/tasks/",
        task_form(description="d" * 5001),
        422,
        "at most 5000",
        True,
    ),
    # Mark done
    "complete: unknown task": Case(
        "assignee", "POST", f"/tasks/{UNKNOWN}/complete", None, 409, "There is no such task.", True
    ),
    "complete: not a task id": Case("assignee", "POST", "/tasks/42/complete", None, 404),
    "complete: someone else's task": Case(
        "stranger", "POST", "/tasks/{open}/complete", None, 409, "no longer yours", True
    ),
    "complete: someone else's task, no htmx": Case(
        "stranger", "POST", "/tasks/{open}/complete", None, 200, "no longer yours", follow=True
    ),
    "complete: already done": Case(
        "done", "POST", "/tasks/{done}/complete", None, 409, "already done", True
    ),
    # All tasks' filters
    "all tasks: unknown status": Case(
        "admin", "GET", "/tasks/all?status=closed", None, 400, "Unknown status"
    ),
    "all tasks: assignee search too long": Case(
        "admin", "GET", f"/tasks/all?parrot={LONG}", None, 400, "at most 200 characters"
    ),
    "all tasks: negative page": Case(
        "admin", "GET", "/tasks/all?page=-1", None, 400, "is not a page number"
    ),
    "all tasks: page zero": Case(
        "admin", "GET", "/tasks/all?page=0", None, 400, "is not a page number"
    ),
    "all tasks: non-numeric page": Case(
        "admin", "GET", "/tasks/all?page=two", None, 400, "is not a page number"
    ),
    "all tasks: huge page": Case(
        "admin", "GET", "/tasks/all?page=99999999999", None, 400, "is not a page number"
    ),
    "all tasks: page past the end": Case(
        "admin", "GET", "/tasks/all?page=7", None, 400, "There is no page 7"
    ),
    # Accounting's day pickers, report ranges and the close
    "my account: malformed day": Case(
        "assignee", "GET", "/accounting/?day=2026-13-01", None, 400, "as YYYY-MM-DD"
    ),
    "my account: dotted day": Case(
        "assignee", "GET", "/accounting/?day=25.11.2026", None, 400, "as YYYY-MM-DD"
    ),
    "my account: year zero": Case(
        "assignee", "GET", "/accounting/?day=0000-01-01", None, 400, "as YYYY-MM-DD"
    ),
    "my account: five-digit year": Case(
        "assignee", "GET", "/accounting/?day=10000-01-01", None, 400, "as YYYY-MM-DD"
    ),
    "company: malformed day": Case(
        "admin", "GET", "/accounting/company?day=today", None, 400, "as YYYY-MM-DD"
    ),
    "company: end before start": Case(
        "admin",
        "GET",
        "/accounting/company?start=2026-11-20&end=2026-11-10",
        None,
        400,
        "ends before it starts",
    ),
    "company: end in the first days of year 1": Case(
        "admin", "GET", "/accounting/company?end=0001-01-02", None, 400, "too early"
    ),
    "company: huge range": Case(
        "admin",
        "GET",
        "/accounting/company?start=2000-01-01&end=9999-12-31",
        None,
        400,
        "at most",
    ),
    "report: malformed start": Case(
        "admin",
        "GET",
        "/accounting/reports/ledger.csv?start=nope",
        None,
        400,
        "as YYYY-MM-DD",
    ),
    "report: end before start": Case(
        "admin",
        "GET",
        "/accounting/reports/days.xlsx?start=2026-11-20&end=2026-11-01",
        None,
        400,
        "ends before it starts",
    ),
    "report: huge range": Case(
        "admin",
        "GET",
        "/accounting/reports/ledger.csv?start=2000-01-01&end=2026-11-25",
        None,
        400,
        "at most",
    ),
    "close: malformed day": Case(
        "admin", "POST", "/accounting/close", {"day": "yesterday"}, 400, "as YYYY-MM-DD"
    ),
    "close: a day not begun": Case(
        "admin", "POST", "/accounting/close", {"day": "9999-12-31"}, 422, "has not begun yet"
    ),
    "close: a day before the company": Case(
        "admin", "POST", "/accounting/close", {"day": "0001-01-01"}, 400, "too early"
    ),
    # Analytics' range
    "analytics: malformed start": Case(
        "admin", "GET", "/analytics/?start=01.03.2026", None, 400, "is not a day"
    ),
    "analytics: end before start": Case(
        "admin",
        "GET",
        "/analytics/?start=2026-03-10&end=2026-03-01",
        None,
        400,
        "The range ends before it starts.",
    ),
    "analytics: huge range": Case(
        "admin",
        "GET",
        "/analytics/?start=2000-01-01&end=9999-12-31",
        None,
        400,
        "spans at most 92 days",
    ),
    "analytics: end in year 1": Case(
        "admin", "GET", "/analytics/?end=0001-01-01", None, 400, "too early"
    ),
    "analytics: five-digit year": Case(
        "admin", "GET", "/analytics/?end=10000-01-01", None, 400, "is not a day"
    ),
    # The admin's account forms
    "new account: empty": Case(
        "admin",
        "POST",
        "/accounts/new",
        account_form(login="", full_name="", email=""),
        422,
        "Give a login name.",
    ),
    "new account: login too long": Case(
        "admin", "POST", "/accounts/new", account_form(login="k" * 65), 422, "Use up to 64"
    ),
    "new account: login with markup": Case(
        "admin", "POST", "/accounts/new", account_form(login="<b>kesha</b>"), 422, "Use up to 64"
    ),
    "new account: full name too long": Case(
        "admin", "POST", "/accounts/new", account_form(full_name=LONG), 422, "under 200"
    ),
    "new account: bad e-mail": Case(
        "admin", "POST", "/accounts/new", account_form(email="kesha@"), 422, "not an e-mail"
    ),
    "new account: e-mail too long": Case(
        "admin",
        "POST",
        "/accounts/new",
        account_form(email="k" * 250 + "@uberpopug.example"),
        422,
        "not an e-mail",
    ),
    "new account: duplicate login": Case(
        "admin", "POST", "/accounts/new", account_form(login="{worker_login}"), 422, "is taken"
    ),
    "new account: unknown role": Case(
        "admin", "POST", "/accounts/new", account_form(role="overlord"), 422, "Choose one of"
    ),
    "new account: short password": Case(
        "admin", "POST", "/accounts/new", account_form(password="short"), 422, "Use at least"
    ),
    "new account: nine characters": Case(
        "admin", "POST", "/accounts/new", account_form(password="x" * 9), 422, "at least 10"
    ),
    "new account: the login as password": Case(
        "admin",
        "POST",
        "/accounts/new",
        account_form(login="kakadu-popug", password="Kakadu-Popug"),
        422,
        "not your login",
    ),
    "new account: a common password": Case(
        "admin", "POST", "/accounts/new", account_form(password="1234567890"), 422, "too common"
    ),
    "new account: ten spaces": Case(
        "admin", "POST", "/accounts/new", account_form(password=" " * 10), 422, "not only spaces"
    ),
    "new account: markup in the e-mail": Case(
        "admin",
        "POST",
        "/accounts/new",
        account_form(email="a<svg/onload=alert(1)>@x.yy"),
        422,
        "not an e-mail",
    ),
    # Control characters, in any field of any form or search: one refusal for all (422)
    "task: NUL in the title": Case(
        "assignee", "POST", "/tasks/", task_form(title="Feed\x00"), 422, "U+0000", True
    ),
    "task: NUL in the title, no htmx": Case(
        "assignee", "POST", "/tasks/", task_form(title="Feed\x00"), 422, "“title”"
    ),
    "task: bell in the description": Case(
        "assignee", "POST", "/tasks/", task_form(description="ring\x07"), 422, "U+0007", True
    ),
    "all tasks: NUL in the assignee search": Case(
        "admin", "GET", "/tasks/all?parrot=kesha%00", None, 422, "U+0000", True
    ),
    "accounts: NUL in the search": Case("admin", "GET", "/accounts?q=%00", None, 422, "U+0000"),
    "accounts: escape character in the search": Case(
        "admin", "GET", "/accounts?q=%1B%5B31m", None, 422, "U+001B", True
    ),
    "new account: NUL in the full name": Case(
        "admin", "POST", "/accounts/new", account_form(full_name="Kesha\x00"), 422, "U+0000"
    ),
    "edit account: DEL in the e-mail": Case(
        "admin",
        "POST",
        "/accounts/{worker}",
        {"full_name": "Kesha", "email": "k\x7f@uberpopug.example"},
        422,
        "U+007F",
    ),
    "company: NUL in the day": Case(
        "admin", "GET", "/accounting/company?day=2026-11-01%00", None, 422, "U+0000"
    ),
    "edit account: empty": Case(
        "admin",
        "POST",
        "/accounts/{worker}",
        {"full_name": "", "email": ""},
        422,
        "Give a full name.",
    ),
    "edit account: bad e-mail": Case(
        "admin",
        "POST",
        "/accounts/{worker}",
        {"full_name": "Kesha", "email": "not-mail"},
        422,
        "not an e-mail",
    ),
    "edit account: unknown id": Case(
        "admin", "POST", f"/accounts/{UNKNOWN}", {"full_name": "K", "email": "k@u.example"}, 404
    ),
    "edit account: not an id": Case("admin", "GET", "/accounts/kesha", None, 404),
    "role: unknown role": Case(
        "admin", "POST", "/accounts/{worker}/role", {"role": "overlord"}, 422, "Choose one of"
    ),
    "role: empty role": Case("admin", "POST", "/accounts/{worker}/role", {}, 422, "Choose one of"),
    "role: unknown account": Case(
        "admin", "POST", f"/accounts/{UNKNOWN}/role", {"role": "worker"}, 404
    ),
    "role: one's own": Case(
        "admin",
        "POST",
        "/accounts/{admin}/role",
        {"role": "worker"},
        422,
        "You cannot change your own role.",
    ),
    "deactivate: unknown account": Case(
        "admin", "POST", f"/accounts/{UNKNOWN}/deactivate", None, 404
    ),
    "deactivate: oneself": Case(
        "admin",
        "POST",
        "/accounts/{admin}/deactivate",
        None,
        422,
        "You cannot deactivate yourself.",
    ),
    "reactivate: unknown account": Case(
        "admin", "POST", f"/accounts/{UNKNOWN}/reactivate", None, 404
    ),
    # Replays of things that do not exist
    "sender: replay an unknown failure": Case(
        "admin",
        "POST",
        "/sender/failures/999999/replay",
        None,
        200,
        "already replayed",
        follow=True,
    ),
    "sender: replay a non-numeric id": Case(
        "admin", "POST", "/sender/failures/abc/replay", None, 404
    ),
    "operations: replay an unknown dead letter": Case(
        "admin",
        "POST",
        "/operations/dead-letters/999999/replay",
        None,
        200,
        "is not waiting for a replay",
        follow=True,
    ),
    "operations: replay a negative id": Case(
        "admin", "POST", "/operations/dead-letters/-1/replay", None, 404
    ),
    "operations: replay an unknown consumer": Case(
        "admin",
        "POST",
        "/operations/consumers/nobody/replay",
        None,
        200,
        "has no dead letters waiting",
        follow=True,
    ),
}

LOGIN_CASES = {
    "login: empty": ({"login": "", "password": ""}, 401, "Wrong login or password."),
    "login: oversized login": ({"login": "k" * 100_000, "password": "x"}, 401, "Wrong login"),
    "login: oversized password": (
        {"login": "{worker_login}", "password": "p" * 400_000},
        401,
        "Wrong login",
    ),
    "login: markup": ({"login": "<script>alert(1)</script>", "password": "x"}, 401, "Wrong login"),
    "login: a whole megabyte": ({"login": "k", "password": "p" * 1_100_000}, 413, ""),
    "login: NUL in the login": ({"login": "{worker_login}\x00", "password": "x"}, 422, "U+0000"),
    "login: NUL in the password": ({"login": "{worker_login}", "password": "\x00"}, 422, "U+0000"),
}


def snapshot(runtime) -> dict:
    """Every row of every table (login failures aside: counting them is their point)."""
    with runtime.db.transaction() as session:
        return {
            table.fullname: sorted(map(repr, session.execute(sa.select(table)).all()))
            for table in metadata.sorted_tables
            if table not in (login_failures, address_failures)
        }


@pytest.fixture
def company(runtime, make_account):
    admin = make_account("admin")
    workers = [make_account("worker"), make_account("worker")]
    with runtime.db.transaction() as session:
        done = tracker.create_task(session, title="Done already", created_by=admin.public_id)
        tracker.complete_task(session, task=done["public_id"], by=done["assignee"])
        open_ = tracker.create_task(session, title="Still open", created_by=admin.public_id)
    by_id = {w.public_id: w for w in workers}
    stranger = next(w for w in workers if w.public_id != open_["assignee"])
    return {
        "accounts": {
            "admin": admin,
            "assignee": by_id[open_["assignee"]],
            "stranger": stranger,
            "done": by_id[done["assignee"]],
        },
        "ids": {
            "open": open_["public_id"],
            "done": done["public_id"],
            "admin": admin.public_id,
            "worker": workers[0].public_id,
            "worker_login": workers[0].login,
        },
    }


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    return {k: _fill(v, ids) for k, v in value.items()} if value is not None else None


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_gets_a_message_or_a_4xx_and_changes_nothing(client, runtime, company, case):
    account = company["accounts"][case.who]
    assert log_in(client, account.login, account.password).status_code == 302
    token = fetch_csrf_token(client)
    before = snapshot(runtime)
    headers = {"X-CSRFToken": token} | ({"HX-Request": "true"} if case.htmx else {})
    data = _fill(case.data, company["ids"]) if case.method == "POST" else None
    if data is not None:
        data = data | {"csrf_token": token}
    elif case.method == "POST":
        data = {"csrf_token": token}
    response = client.open(
        _fill(case.url, company["ids"]),
        method=case.method,
        data=data,
        headers=headers,
        follow_redirects=case.follow,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == case.status, page[:2000]
    assert case.text in page
    assert snapshot(runtime) == before


@pytest.mark.parametrize("form, status, text", LOGIN_CASES.values(), ids=LOGIN_CASES.keys())
def test_bad_logins_are_refused_and_change_nothing(client, runtime, company, form, status, text):
    token = fetch_csrf_token(client)
    before = snapshot(runtime)
    response = client.post("/login", data=_fill(form, company["ids"]) | {"csrf_token": token})
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert snapshot(runtime) == before
    assert client.get("/").status_code == 302  # still not logged in
