"""The access table: every route, every role and anonymous, against `web.access.RULES`."""

import uuid

import pytest
from flask import Flask

from domains.auth import commands as auth_commands
from tests.conftest import create_test_account, fetch_csrf_token
from web.access import PUBLIC, ROLES, check_every_route, may_open, rule_for

SAMPLE_ARGUMENTS = {"UUIDConverter": uuid.UUID(int=1), "IntegerConverter": 1}


def _url(rule) -> str:
    arguments = {
        name: SAMPLE_ARGUMENTS.get(type(converter).__name__, "sample")
        for name, converter in rule._converters.items()
    }
    return rule.build(arguments)[1]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _client_for(app, runtime, role):
    client = app.test_client()
    if role is not None:
        account = create_test_account(runtime, role)
        with runtime.db.transaction() as db_session:
            token = auth_commands.start_session(db_session, account.public_id)
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
    return client


def test_every_route_answers_each_role_as_its_rule_says(app, runtime):
    checked = 0
    for role in (None, *ROLES):
        for rule, method in _routes(app):
            allowed = rule_for(app, rule.endpoint)
            client = _client_for(app, runtime, role)  # fresh: a logout must not leak
            token = fetch_csrf_token(client)
            response = client.open(
                _url(rule),
                method=method,
                data={"csrf_token": token} if method != "GET" else None,
            )
            where = f"{method} {rule.rule} as {role or 'anonymous'}"
            # The guard's redirect carries `next`; logout's own redirect to /login does not.
            redirected_to_login = response.status_code == 302 and response.headers[
                "Location"
            ].startswith("/login?next=")
            if PUBLIC in allowed or (role is not None and role in allowed):
                assert response.status_code not in (403, 500) and not redirected_to_login, where
            elif role is None:
                assert redirected_to_login, where
            else:
                assert response.status_code == 403, where
                assert "Not yours to open" in response.get_data(as_text=True), where
            checked += 1
    assert checked >= 5 * 4  # every role and anonymous, on at least home/login/logout/healthz


def test_a_route_without_an_access_rule_stops_the_app_from_starting():
    app = Flask("unruled")
    app.add_url_rule("/forgotten", "forgotten", lambda: "who may open me?")
    with pytest.raises(RuntimeError, match="forgotten"):
        check_every_route(app)


def test_every_route_of_the_app_has_a_rule(app):
    for rule, _method in _routes(app):
        assert rule_for(app, rule.endpoint), rule.rule


@pytest.mark.parametrize("role", ROLES)
def test_navigation_shows_only_what_the_role_may_open(client, login_as, app, role):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    nav = page.split('<nav aria-label="main">', 1)[1].split("</nav>", 1)[0]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods or rule.arguments:
            continue
        link = f'href="{rule.rule}"'
        if not may_open(rule.endpoint, app, role):
            assert link not in nav, (role, rule.rule)
    assert 'href="/"' in nav


def test_pages_that_do_not_exist_answer_404_in_the_layout(client, login_as):
    login_as()
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Not found" in page and '<nav aria-label="main">' in page and "Log out" in page


def test_a_crash_answers_500_in_the_layout(app, client, login_as, monkeypatch):
    login_as()

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "web.home", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something broke" in response.get_data(as_text=True)


def test_an_htmx_request_without_a_session_sends_the_whole_page_to_login(client):
    response = client.get(
        "/accounts?q=k",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/accounts?q=k"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/login?next=/accounts?q%3Dk"
