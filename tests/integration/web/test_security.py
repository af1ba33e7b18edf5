"""The security table: each control of docs/security.md, probed over HTTP as an attacker would.

Runs on both backends like every test (SQLite + in-process broker, PostgreSQL + Redis). Bad input
in each form is in test_bad_input.py; the browser walk under the CSP is in tests/e2e.
"""

import dataclasses

import pytest
import redis
import sqlalchemy as sa

from ates.bootstrap import Runtime
from ates.database import metadata
from domains.auth import commands
from domains.auth.tables import accounts
from domains.tracker import commands as tracker
from domains.tracker.tables import tasks
from tests.conftest import fetch_csrf_token, log_in
from tests.integration.web.test_access import _routes, _url
from web import create_app

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
    assert 'href="/sessions"' in client.get("/").get_data(as_text=True)  # their name, on top
    page = client.get("/sessions").get_data(as_text=True)
    assert page.count("<tr>") == 1 + 3 and "this browser" in page
    response = client.post(
        "/sessions/others/end", data={"csrf_token": fetch_csrf_token(client)}, follow_redirects=True
    )
    assert "Logged out 2 other sessions." in response.get_data(as_text=True)
    assert phone.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert _copy_cookies(app, laptop, "remember_token").get("/").status_code == 302
    assert client.get("/").status_code == 200 and theirs.get("/").status_code == 200


def test_a_parrot_changes_their_password_and_their_other_browsers_are_logged_out(
    app, client, make_account
):
    kesha = make_account("worker", login="kesha-popug")
    phone = app.test_client()
    for browser in (client, phone):
        assert log_in(browser, kesha.login, kesha.password).status_code == 302
    assert 'href="/password"' in client.get("/sessions").get_data(as_text=True)

    def change(current, new):
        data = {"current_password": current, "new_password": new}
        return client.post("/password", data=data | {"csrf_token": fetch_csrf_token(client)})

    wrong = change("not-my-password", "a-fresh-perch-42")
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    weak = change(kesha.password, "Kesha-Popug")
    assert weak.status_code == 422 and "not your login" in weak.get_data(as_text=True)
    assert phone.get("/").status_code == 200  # nothing changed yet
    assert change(kesha.password, "a-fresh-perch-42").status_code == 302
    assert client.get("/").status_code == 200 and phone.get("/").status_code == 302
    assert log_in(app.test_client(), kesha.login, kesha.password).status_code == 401
    assert log_in(app.test_client(), kesha.login, "a-fresh-perch-42").status_code == 302


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


# --- 2. Throttling without lockouts ---------------------------------------------------------


def _login_from(client, address, login, password, **headers):
    data = {"login": login, "password": password, "csrf_token": fetch_csrf_token(client)}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_one_address_gets_ten_failed_logins_a_minute_across_every_login(
    app, client, runtime, make_account
):
    kesha, gosha = make_account("worker"), make_account("worker")
    guesses = [_login_from(client, "10.0.0.7", f"guess-{n}", "wrong-guess") for n in range(10)]
    assert {r.status_code for r in guesses} == {401}
    refused = _login_from(client, "10.0.0.7", kesha.login, kesha.password)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many failed logins from your address" in refused.get_data(as_text=True)
    # Nobody else is held up: not the accounts, not the parrots at other addresses.
    office = app.test_client()
    assert _login_from(office, "10.0.0.8", gosha.login, gosha.password).status_code == 302
    if runtime.settings.redis_url:  # production keeps the counts in Redis, under our namespace
        keys = redis.Redis.from_url(runtime.settings.redis_url).keys(
            f"{runtime.settings.broker_namespace}:login-limits*"
        )
        assert keys


def test_successful_logins_from_one_address_are_never_throttled(app, client, make_account):
    parrots = [make_account("worker") for _ in range(12)]
    for parrot in parrots:
        browser = app.test_client()
        assert _login_from(browser, "10.0.0.9", parrot.login, parrot.password).status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, make_account):
    for n in range(10):
        _login_from(client, "10.0.0.7", "kesha", "wrong-guess", **{"X-Forwarded-For": f"1.2.3.{n}"})
    forged = _login_from(client, "10.0.0.7", "kesha", "x", **{"X-Forwarded-For": "9.9.9.9"})
    assert forged.status_code == 429


def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_client(runtime, make_account):
    proxied = dataclasses.replace(runtime.settings, trusted_proxies=1)
    app = create_app(runtime=Runtime(proxied, runtime.db, runtime.broker, runtime.actors))
    app.extensions["ates_login_limiter"].reset()
    client = app.test_client()
    kesha = make_account("worker")
    proxy = "127.0.0.1"
    for _ in range(10):
        _login_from(client, proxy, "kesha", "wrong", **{"X-Forwarded-For": "203.0.113.5"})
    guesser = _login_from(client, proxy, "kesha", "wrong", **{"X-Forwarded-For": "203.0.113.5"})
    assert guesser.status_code == 429
    # The proxy's address is not what is counted: another client behind it logs in.
    other = app.test_client()
    welcome = _login_from(
        other, proxy, kesha.login, kesha.password, **{"X-Forwarded-For": "203.0.113.6"}
    )
    assert welcome.status_code == 302


def test_without_redis_failed_logins_at_one_web_process_count_at_the_other(runtime):
    # RabbitMQ as the broker and no Redis: two web processes that share only the database.
    on_rabbitmq = dataclasses.replace(
        runtime.settings, broker_url="amqp://guest:guest@127.0.0.1:5672/%2F"
    )
    first, second = (
        create_app(runtime=dataclasses.replace(runtime, settings=on_rabbitmq)).test_client()
        for _ in range(2)
    )
    for n in range(5):
        assert _login_from(first, "10.0.0.7", f"guess-{n}", "wrong").status_code == 401
        assert _login_from(second, "10.0.0.7", f"other-{n}", "wrong").status_code == 401
    for web in (first, second):
        refused = _login_from(web, "10.0.0.7", "guess-10", "wrong")
        assert refused.status_code == 429 and "from your address" in refused.get_data(as_text=True)
    assert _login_from(first, "10.0.0.8", "guess-11", "wrong").status_code == 401


def test_with_redis_unreachable_failed_logins_are_still_limited_in_each_process(runtime):
    unreachable = dataclasses.replace(runtime.settings, broker_url="redis://127.0.0.1:1/0")
    app = create_app(runtime=dataclasses.replace(runtime, settings=unreachable))
    client = app.test_client()
    for n in range(10):
        assert _login_from(client, "10.0.0.7", f"guess-{n}", "wrong").status_code == 401
    refused = _login_from(client, "10.0.0.7", "guess-10", "wrong")
    assert refused.status_code == 429 and "from your address" in refused.get_data(as_text=True)


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


def test_a_control_character_is_refused_on_every_route_before_its_view_runs(
    app, client, runtime, login_as
):
    """Every form, search and query string of every route, not only the ones listed in
    test_bad_input.py: one shared check answers 422 and names the field."""
    login_as("admin")
    token = fetch_csrf_token(client)
    before = _row_counts(runtime)
    checked = 0
    for rule, method in _routes(app):
        if method == "GET":
            response = client.get(_url(rule) + "?q=kesha%00")
        else:
            data = {"csrf_token": token, "title": "Feed\x00", "day": "2026-11-01\x1b"}
            response = client.open(_url(rule), method=method, data=data)
        assert response.status_code == 422, f"{method} {rule.rule}: {response.status_code}"
        assert "control character" in response.get_data(as_text=True)
        checked += 1
    assert checked >= 30
    assert _row_counts(runtime) == before


def _row_counts(runtime) -> dict:
    with runtime.db.reading() as session:
        return {
            table.fullname: session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in metadata.sorted_tables
        }


def test_percent_and_underscore_in_the_accounts_search_are_literal(client, login_as, make_account):
    login_as("admin", login="boss")
    make_account("worker", login="kesha_1", full_name="Kesha Underscore")
    make_account("worker", login="keshax1", full_name="Kesha Letter")
    make_account("worker", login="rio", full_name="Rio 100% Parrot")
    rows = client.get("/accounts?q=kesha_", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "kesha_1" in rows and "keshax1" not in rows
    rows = client.get("/accounts?q=%25", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Rio 100% Parrot" in rows and "kesha" not in rows


def test_percent_and_underscore_in_the_task_searches_are_literal(
    client, runtime, login_as, make_account, deliver
):
    boss = login_as("manager")
    make_account("worker", login="kesha_1", full_name="Kesha Underscore")
    make_account("worker", login="keshax1", full_name="Kesha Letter")
    assigned = set()
    with runtime.db.transaction() as session:
        for title in ("Feed 100% of the parrots", "Feed 1000 parrots", "Clean perch_2"):
            assigned.add(
                tracker.create_task(session, title=title, created_by=boss.public_id)["assignee"]
            )
        while len(assigned) < 2:  # each Kesha has a task, so a wildcard would show
            assigned.add(
                tracker.create_task(session, title="Water", created_by=boss.public_id)["assignee"]
            )
    deliver()
    htmx = {"HX-Request": "true"}
    found = client.get("/tasks/all?q=100%25", headers=htmx).get_data(as_text=True)
    assert "Feed 100% of the parrots" in found and "Feed 1000 parrots" not in found
    found = client.get("/tasks/all?q=perch_", headers=htmx).get_data(as_text=True)
    assert "Clean perch_2" in found and "Feed" not in found
    found = client.get("/tasks/all?parrot=kesha_", headers=htmx).get_data(as_text=True)
    assert "Kesha Underscore" in found and "Kesha Letter" not in found


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
