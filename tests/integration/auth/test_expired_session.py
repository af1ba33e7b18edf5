"""An htmx action after the session ended goes to the login page, and back after logging in."""

import re

from tests.conftest import fetch_csrf_token

ON_MY_TASKS = {"HX-Request": "true", "HX-Current-URL": "http://localhost/tasks/?x=1"}


def test_an_htmx_action_after_logout_sends_the_browser_to_login_and_back(client, login_as):
    worker = login_as("worker")
    token = fetch_csrf_token(client)
    client.post("/logout", data={"csrf_token": token})
    response = client.post("/tasks/", data={"title": "Feed"}, headers=ON_MY_TASKS)
    assert response.status_code == 200 and "<nav" not in response.get_data(as_text=True)
    assert response.headers["HX-Redirect"] == "/login?next=/tasks/?x%3D1"
    page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "Your session ended" in page
    token = fetch_csrf_token(client)
    back = client.post(
        "/login?next=/tasks/?x%3D1",
        data={"login": worker.login, "password": worker.password, "csrf_token": token},
    )
    assert back.status_code == 302 and back.location.endswith("/tasks/?x=1")


def test_an_htmx_read_after_the_session_ended_loads_the_login_page_whole(client, login_as):
    login_as("manager")
    client.post("/logout", data={"csrf_token": fetch_csrf_token(client)})
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/tasks/all?status=open"}
    response = client.get("/tasks/all?page=2", headers=headers)
    assert response.headers["HX-Redirect"] == "/login?next=/tasks/all?status%3Dopen"
    assert "<nav" not in response.get_data(as_text=True)


def test_a_stale_page_of_a_live_session_is_reloaded_not_pasted_into_the_row(client, login_as):
    login_as("worker")
    headers = ON_MY_TASKS | {"X-CSRFToken": "from-an-old-session"}
    response = client.post("/tasks/", data={"title": "Feed"}, headers=headers)
    assert response.headers["HX-Redirect"] == "/tasks/?x=1"
    assert "out of date" in client.get("/tasks/").get_data(as_text=True)


def test_a_403_and_a_404_speak_plainly(client, login_as):
    login_as("worker")
    forbidden = client.get("/tasks/all").get_data(as_text=True)
    assert "Your role cannot open this page" in forbidden and "read-protected" not in forbidden
    missing = client.get("/no-such-page").get_data(as_text=True)
    assert "may have a typo" in missing and "requested URL" not in missing
    assert re.search(r'<a class="btn[^"]*" href="/">Back to the home page', missing)
