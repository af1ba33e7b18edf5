"""Login, logout, remember-me, the delay after failures and session fixation, through the real
forms."""

import dataclasses
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ates.database import utcnow
from domains.auth import commands, queries
from domains.auth.tables import address_failures, login_failures
from tests.conftest import fetch_csrf_token, log_in
from web import create_app


def test_a_parrot_logs_in_and_lands_where_they_were_going(client, make_account):
    account = make_account("accountant")
    assert client.get("/").headers["Location"] == "/login?next=/"
    page = client.get("/login?next=/healthz")
    assert 'action="/login?next=/healthz"' in page.get_data(as_text=True)
    data = {"login": account.login, "password": account.password}
    response = client.post("/login?next=/healthz", data=data | {"csrf_token": _token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/healthz"
    home = client.get("/").get_data(as_text=True)
    assert account.full_name in home and "accountant" in home


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/\r\n//evil.example",
        "/\t/evil.example",
    ],
)
def test_a_next_target_on_another_site_is_refused(client, make_account, target):
    account = make_account()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"login": account.login, "password": account.password, "csrf_token": _token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_wrong_password_is_refused_with_a_clear_message(client, make_account):
    account = make_account()
    response = log_in(client, account.login, "not-the-password")
    assert response.status_code == 401
    assert "Wrong login or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert log_in(client, "nobody", "whatever").status_code == 401


def test_a_deactivated_account_cannot_log_in(client, make_account, runtime):
    account = make_account()
    with runtime.db.transaction() as session:
        commands.deactivate(session, account.public_id)
    response = log_in(client, account.login, account.password)
    assert response.status_code == 401
    assert "deactivated" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_parrot_deactivated_while_logged_in_is_out_on_the_next_request(client, login_as, runtime):
    account = login_as()
    assert client.get("/").status_code == 200
    with runtime.db.transaction() as session:
        commands.deactivate(session, account.public_id)
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_replaced_at_login(client, make_account, app, runtime):
    account = make_account()
    fetched = _token(client)
    before = client.get_cookie("session").value
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    planted = client.get_cookie("session").value
    response = client.post(
        "/login", data={"login": account.login, "password": account.password, "csrf_token": fetched}
    )
    assert response.status_code == 302
    after = client.get_cookie("session").value
    assert after not in (before, planted)
    with client.session_transaction() as session:
        assert "planted" not in session
        # The cookie names a login session of the account, never the account itself.
        assert session["_user_id"] != account.public_id
        token = session["_user_id"]
    with runtime.db.reading() as db_session:
        assert queries.account_of_session(db_session, token).public_id == account.public_id
    # The cookie from before the login still opens nothing.
    stranger = app.test_client()
    stranger.set_cookie("session", planted)
    assert stranger.get("/").status_code == 302


def test_logging_out_ends_the_session_and_the_remember_me_cookie(client, make_account):
    account = make_account()
    assert log_in(client, account.login, account.password, remember=True).status_code == 302
    assert client.get_cookie("remember_token") is not None
    response = client.post("/logout", data={"csrf_token": _token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get_cookie("remember_token") is None
    assert client.get("/").status_code == 302


def test_remember_me_keeps_a_parrot_in_for_14_days_with_safe_cookies(client, make_account, app):
    account = make_account()
    response = log_in(client, account.login, account.password, remember=True)
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    remember = cookies["remember_token"]
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    assert "HttpOnly" in cookies["session"] and "SameSite=Lax" in cookies["session"]
    expires = client.get_cookie("remember_token").expires
    assert timedelta(days=13) < expires - utcnow() <= timedelta(days=14, minutes=1)
    # A new browser session: only the remember-me cookie is left.
    later = app.test_client()
    later.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert later.get("/").status_code == 200


def test_repeated_failed_logins_delay_the_name_instead_of_locking_it(client, make_account, runtime):
    account = make_account()
    for _ in range(commands.FREE_FAILURES + 1):
        assert log_in(client, account.login, "wrong").status_code == 401
    response = log_in(client, account.login, account.password)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert "try again in 1 s." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # Another name is not delayed by it.
    other, other_client = make_account(), client.application.test_client()
    assert log_in(other_client, other.login, other.password).status_code == 302
    # Once the wait is over the right password gets in.
    with runtime.db.transaction() as session:
        session.execute(
            sa.update(login_failures).values(next_try_at=utcnow() - timedelta(seconds=1))
        )
    assert log_in(client, account.login, account.password).status_code == 302


def test_the_delay_doubles_with_each_failure_up_to_a_minute_and_never_locks(runtime, make_account):
    account = make_account()
    moment, waits = utcnow(), []
    with runtime.db.transaction() as session:
        for _ in range(commands.FREE_FAILURES + 10):
            checked = commands.authenticate(session, account.login, "wrong", now=moment)
            assert checked.message == "Wrong login or password."
            wait_until = session.scalar(sa.select(login_failures.c.next_try_at))
            waits.append(round((wait_until - moment).total_seconds()) if wait_until else 0)
            if wait_until:
                # Until then not even the right password is checked, and guesses neither count
                # nor stretch the wait.
                refused = commands.authenticate(
                    session, account.login, account.password, now=moment
                )
                assert refused.account is None and refused.retry_after == waits[-1]
                commands.authenticate(session, account.login, "guess", now=moment)
                assert session.scalar(sa.select(login_failures.c.next_try_at)) == wait_until
                moment = wait_until
        assert commands.authenticate(session, account.login, account.password, now=moment).account
        assert session.scalar(sa.select(sa.func.count()).select_from(login_failures)) == 0
    assert waits == [0] * commands.FREE_FAILURES + [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


_token = fetch_csrf_token


def test_production_cookies_are_secure(session_runtime, make_account):
    production = dataclasses.replace(
        session_runtime,
        settings=dataclasses.replace(session_runtime.settings, environment="production"),
    )
    client = create_app(runtime=production).test_client()
    account = make_account()
    response = log_in(client, account.login, account.password, remember=True)
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name], cookies[name]


def test_remember_me_survives_a_new_browser_address(client, make_account, app):
    account = make_account()
    log_in(client, account.login, account.password, remember=True)
    moved = app.test_client()
    moved.set_cookie("remember_token", client.get_cookie("remember_token").value)
    headers = {"User-Agent": "another browser"}
    assert (
        moved.get("/", headers=headers, environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200
    )


def test_failures_spread_over_time_do_not_delay_and_old_ones_are_forgotten(runtime, make_account):
    account = make_account()
    moment = utcnow()
    with runtime.db.transaction() as session:
        for attempt in range(10):
            commands.authenticate(session, account.login, "wrong", now=moment)
            commands.authenticate(session, f"typo-{attempt}", "wrong", now=moment)
            moment += commands.FAILURE_WINDOW + timedelta(seconds=1)
        still_open = commands.authenticate(session, account.login, account.password, now=moment)
        assert still_open.account is not None
        remembered = session.scalars(sa.select(login_failures.c.login)).all()
    assert sorted(remembered) == ["typo-8", "typo-9"]  # the older ones were cleared away


def test_an_address_count_starts_again_when_its_window_ends_and_ended_ones_are_dropped(runtime):
    second, minute = timedelta(seconds=1), timedelta(minutes=1)
    with runtime.db.transaction() as session:
        assert commands.count_address_failures(session, "10.0.0.7", 1, second) == 1
        assert commands.count_address_failures(session, "10.0.0.7", 2, second) == 3
        commands.count_address_failures(session, "10.0.0.8", 1, minute)
        commands.count_address_failures(session, "10.0.0.9", 1, second)
    time.sleep(1.1)
    with runtime.db.reading() as session:
        assert queries.address_failures_in_window(session, "10.0.0.7") == (0, None)
        assert queries.address_failures_in_window(session, "10.0.0.8")[0] == 1
    with runtime.db.transaction() as session:
        assert commands.count_address_failures(session, "10.0.0.7", 1, second) == 1
        commands.forget_ended_address_failures(session)
        kept = session.scalars(sa.select(address_failures.c.key)).all()
    assert sorted(kept) == ["10.0.0.7", "10.0.0.8"]
