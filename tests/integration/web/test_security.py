"""The security table: each control of docs/security.md, probed over HTTP as an attacker would.

Runs on both backends like every test (SQLite + in-process broker, PostgreSQL + Redis). Bad input
in each form is in test_bad_input.py; the browser walk under the CSP is in tests/e2e.
"""

import pytest
import sqlalchemy as sa

from domains.auth import commands
from domains.auth.tables import accounts
from domains.tracker.tables import tasks
from tests.conftest import fetch_csrf_token, log_in

# --- 1. Revocable sessions -------------------------------------------------------------------


def _copy_cookies(app, client, *names):
    """Another browser holding copies of this one's cookies (a captured session)."""
    thief = app.test_client()
    for name in names:
        thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def test_a_captured_session_cookie_stops_working_at_logout(app, client, make_account):
    kesha = make_account("worker")
    assert log_in(client, kesha.login, kesha.password).status_code == 302
    thief = _copy_cookies(app, client, "session")
    assert thief.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": fetch_csrf_token(client)})
    assert thief.get("/").status_code == 302


def test_a_captured_remember_me_cookie_stops_working_at_logout(app, client, make_account):
    kesha = make_account("worker")
    assert log_in(client, kesha.login, kesha.password, remember=True).status_code == 302
    thief = _copy_cookies(app, client, "remember_token")
    assert thief.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": fetch_csrf_token(client)})
    fresh_thief = _copy_cookies(app, thief, "remember_token")
    assert fresh_thief.get("/").status_code == 302
    assert thief.get("/").status_code == 302


def test_a_parrot_logs_out_their_other_sessions_and_keeps_this_one(app, client, make_account):
    kesha = make_account("worker")
    phone, laptop = app.test_client(), app.test_client()
    for browser in (client, phone, laptop):
        assert log_in(browser, kesha.login, kesha.password, remember=True).status_code == 302
    other = make_account("worker")
    theirs = app.test_client()
    assert log_in(theirs, other.login, other.password).status_code == 302
    page = client.get("/sessions").get_data(as_text=True)
    assert page.count("<tr>") == 1 + 3 and "this browser" in page
    response = client.post(
        "/sessions/others/end", data={"csrf_token": fetch_csrf_token(client)}, follow_redirects=True
    )
    assert "Logged out 2 other sessions." in response.get_data(as_text=True)
    assert phone.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert _copy_cookies(app, laptop, "remember_token").get("/").status_code == 302
    assert client.get("/").status_code == 200 and theirs.get("/").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        lambda session, account: commands.deactivate(session, account.public_id),
        lambda session, account: commands.change_role(session, account.public_id, "worker"),
        lambda session, account: commands.set_password(
            session, account.public_id, "a-fresh-perch-42"
        ),
    ],
    ids=["deactivation", "role change", "new password"],
)
def test_deactivation_role_change_or_new_password_ends_every_session_of_the_account(
    app, client, runtime, make_account, change
):
    boss = make_account("manager")
    assert log_in(client, boss.login, boss.password, remember=True).status_code == 302
    remembered = _copy_cookies(app, client, "remember_token")
    bystander = make_account("manager")
    theirs = app.test_client()
    assert log_in(theirs, bystander.login, bystander.password).status_code == 302
    with runtime.db.transaction() as session:
        change(session, boss)
    assert client.get("/tasks/all").status_code == 302
    assert remembered.get("/tasks/all").status_code == 302
    assert theirs.get("/tasks/all").status_code == 200


# --- 3. Security headers on every response -------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/login", "/", "/healthz", "/static/app.css", "/no-such-page", "/favicon.ico"]
)
def test_every_response_carries_the_security_headers(client, login_as, url):
    login_as("admin")
    headers = client.get(url).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # the embedded default is plain HTTP


def test_production_over_https_sends_hsts_and_secure_cookies(runtime):
    import dataclasses

    from ates.bootstrap import Runtime
    from web import create_app

    production = dataclasses.replace(runtime.settings, environment="production")
    app = create_app(runtime=Runtime(production, runtime.db, runtime.broker, runtime.actors))
    response = app.test_client().get("/login", base_url="https://ates.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"]


def test_no_page_has_inline_script_or_style(client, login_as):
    login_as("admin")
    for url in ("/", "/tasks/", "/tasks/all", "/accounts", "/operations", "/events"):
        page = client.get(url).get_data(as_text=True)
        assert "<style" not in page and " style=" not in page, url
        assert "<script>" not in page and " on" + "click=" not in page, url


# --- 4. Input hygiene ------------------------------------------------------------------------


def test_percent_and_underscore_in_the_accounts_search_are_literal(client, login_as, make_account):
    login_as("admin", login="boss")
    make_account("worker", login="kesha_1", full_name="Kesha Underscore")
    make_account("worker", login="keshax1", full_name="Kesha Letter")
    make_account("worker", login="rio", full_name="Rio 100% Parrot")
    rows = client.get("/accounts?q=kesha_", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "kesha_1" in rows and "keshax1" not in rows
    rows = client.get("/accounts?q=%25", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Rio 100% Parrot" in rows and "kesha" not in rows


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-pw", "at least 10"),
        ("          ", "not only spaces"),
        ("Kesha-Popug", "not your login"),
        ("qwertyuiop", "too common"),
        ("Password123", "too common"),
    ],
)
def test_a_weak_password_is_refused_on_change_too(runtime, make_account, password, message):
    account = make_account("worker", login="kesha-popug")
    with runtime.db.transaction() as session:
        before = session.scalar(sa.select(accounts.c.password_hash))
    with pytest.raises(commands.AccountError) as refused, runtime.db.transaction() as session:
        commands.set_password(session, account.public_id, password)
    assert message in refused.value.errors["password"]
    with runtime.db.transaction() as session:
        assert session.scalar(sa.select(accounts.c.password_hash)) == before


# --- 5. Same origin, and what /healthz tells strangers ----------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost.evil.example"])
def test_a_post_from_another_origin_is_refused_even_with_a_valid_token(
    client, runtime, login_as, make_account, origin
):
    make_account("worker")
    login_as("manager")
    response = client.post(
        "/tasks/",
        data={"title": "Planted", "csrf_token": fetch_csrf_token(client)},
        headers={"Origin": origin},
    )
    assert response.status_code == 403
    assert "another site" in response.get_data(as_text=True)
    with runtime.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(tasks)) == 0


def test_a_post_from_our_own_origin_goes_through(client, login_as, make_account):
    make_account("worker")
    login_as("manager")
    response = client.post(
        "/tasks/",
        data={"title": "Ours", "csrf_token": fetch_csrf_token(client)},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 302


def test_a_login_from_another_origin_is_refused(client, make_account):
    account = make_account("worker")
    data = {"login": account.login, "password": account.password}
    response = client.post(
        "/login",
        data=data | {"csrf_token": fetch_csrf_token(client)},
        headers={"Origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert log_in(client, account.login, account.password).status_code == 302
