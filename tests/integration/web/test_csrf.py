"""CSRF: every state-changing request needs the session's token, htmx requests included."""

import time

import pytest

from tests.conftest import CSRF_META, fetch_csrf_token


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_the_right_token_is_refused_and_changes_nothing(client, login_as, token):
    login_as()
    data = {} if token is None else {"csrf_token": token}
    response = client.post("/logout", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bad request" in page and "CSRF" in page and '<nav aria-label="main">' in page
    assert client.get("/").status_code == 200  # still logged in


def test_a_login_without_the_token_is_refused(client, make_account):
    account = make_account()
    response = client.post("/login", data={"login": account.login, "password": account.password})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_another_sessions_token_is_refused(client, login_as, app):
    login_as()
    stranger = app.test_client()
    response = client.post("/logout", data={"csrf_token": fetch_csrf_token(stranger)})
    assert response.status_code == 400
    assert client.get("/").status_code == 200


def test_htmx_requests_carry_the_token_from_the_layout(client, login_as):
    login_as()
    page = client.get("/").get_data(as_text=True)
    # The page's own token: one signed a second later reads differently.
    token = CSRF_META.search(page).group(1)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page
    headers = {"HX-Request": "true"}
    refused = client.post("/logout", headers=headers)  # refused: the page is reloaded instead
    assert refused.status_code == 400 and refused.headers["HX-Redirect"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/logout", headers=headers | {"X-CSRFToken": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_page_left_open_for_days_still_posts(client, make_account, monkeypatch):
    account = make_account()
    token = fetch_csrf_token(client)
    three_days_later = time.time() + 3 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: three_days_later)
    response = client.post(
        "/login", data={"login": account.login, "password": account.password, "csrf_token": token}
    )
    assert response.status_code == 302
