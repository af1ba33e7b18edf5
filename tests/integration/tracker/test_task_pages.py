"""A task's own page, the New task page, the searchable, sortable list and each role's home."""

import re

import sqlalchemy as sa

from domains.tracker.tables import tasks
from tests.conftest import fetch_csrf_token, log_in


def _add(client, title, jira_id="", description=""):
    data = {"title": title, "jira_id": jira_id, "description": description}
    headers = {"X-CSRFToken": fetch_csrf_token(client)}
    return client.post("/tasks/", data=data, headers=headers)


def _task_id(runtime, title):
    with runtime.db.reading() as session:
        return session.scalar(sa.select(tasks.c.public_id).where(tasks.c.title == title))


def _reassign(client):
    return client.post("/tasks/reassign", headers={"X-CSRFToken": fetch_csrf_token(client)})


def test_a_task_page_tells_its_price_and_every_assignment_with_the_reassign_behind_it(
    app, client, login_as, make_account, runtime, deliver
):
    manager = login_as("manager", full_name="Manu Managerov")
    make_account("worker", full_name="Kesha Popugaev")
    _add(client, "Polish the perches", "UBERPOP-101", "Every perch on floor 2.")
    _reassign(client)
    deliver()
    task = _task_id(runtime, "Polish the perches")
    page = client.get(f"/tasks/{task}").get_data(as_text=True)
    assert "UBERPOP-101" in page and "Every perch on floor 2." in page
    assert f"Added by {manager.full_name} on " in page
    assert "Assignment #1: to Kesha Popugaev on " in page and "when it was added." in page
    assert re.search(
        r"Assignment #2: to Kesha Popugaev on [^<]*UTC,\s*by Reassign #\d+ pressed by Manu", page
    )
    fee, reward = re.findall(r'class="figure money mb-0[^"]*">\$(\d+\.\d\d)<', page)
    assert 10 <= float(fee) <= 20 and 20 <= float(reward) <= 40
    assert client.get(f"/tasks/{task}".replace(task[:8], "00000000")).status_code == 404


def test_every_list_links_each_task_to_its_page(app, client, login_as, make_account, runtime):
    worker = login_as("worker")
    _add(client, "Count the seeds")
    task = _task_id(runtime, "Count the seeds")
    link = f'href="/tasks/{task}"'
    assert link in client.get("/tasks/").get_data(as_text=True)
    assert link in client.get("/").get_data(as_text=True)
    manager, other = make_account("manager"), app.test_client()
    assert log_in(other, manager.login, manager.password).status_code == 302
    assert link in other.get("/tasks/all").get_data(as_text=True)
    assert worker.full_name in other.get(f"/tasks/{task}").get_data(as_text=True)


def test_all_tasks_are_searched_by_title_or_jira_id_and_sorted_by_a_column(
    client, login_as, make_account
):
    login_as("manager")
    make_account("worker")
    for title, jira_id in [
        ("Beta swing", "UBERPOP-2"),
        ("Alpha perch", ""),
        ("Gamma perch", "X-9"),
    ]:
        _add(client, title, jira_id)
    page = client.get("/tasks/all?q=perch&sort=title").get_data(as_text=True)
    assert re.findall(r">(\w+ perch)</a>", page) == ["Alpha perch", "Gamma perch"]
    assert 'aria-sort="ascending"' in page and "Beta swing" not in page
    page = client.get("/tasks/all?q=perch&sort=-title").get_data(as_text=True)
    assert re.findall(r">(\w+ perch)</a>", page) == ["Gamma perch", "Alpha perch"]
    assert "Beta swing" in client.get("/tasks/all?q=uberpop-2").get_data(as_text=True)
    refused = client.get("/tasks/all?sort=price")
    assert refused.status_code == 400 and "Unknown sort" in refused.get_data(as_text=True)


def test_every_role_finds_new_task_on_every_page_and_the_result_is_announced(
    client, login_as, make_account
):
    login_as("admin")
    make_account("worker", full_name="Rio Ara")
    for path in ("/", "/tasks/all", "/accounting/company"):
        assert 'href="/tasks/new"' in client.get(path).get_data(as_text=True)
    page = client.get("/tasks/new").get_data(as_text=True)
    assert 'id="new-task"' in page and 'id="created-tasks"' in page
    assert re.search(r'<ul id="created-tasks"[^>]*aria-live="polite"', page)
    headers = {"HX-Request": "true", "HX-Current-URL": "http://localhost/tasks/new"}
    headers["X-CSRFToken"] = fetch_csrf_token(client)
    added = client.post("/tasks/", data={"title": "Feed"}, headers=headers).get_data(as_text=True)
    assert 'hx-swap-oob="afterbegin:#created-tasks"' in added and "assigned to Rio Ara" in added
    assert "#my-tasks" not in added  # that list is not on this page


def test_home_is_a_dashboard_of_the_role(app, client, login_as, make_account, deliver):
    manager = make_account("manager")
    worker = login_as("worker")
    _add(client, "Refill the bowls")
    deliver()
    page = client.get("/").get_data(as_text=True)
    assert 'id="my-balance"' in page and "Refill the bowls" in page and "pays $" in page
    assert 'id="open-tasks"' not in page and 'id="pending-events"' not in page
    for role, shown, hidden in [
        (manager, ["open-tasks", "last-reassign"], ["my-balance", "today-earnings"]),
        (
            make_account("accountant"),
            ["my-balance", "today-earnings", "last-close"],
            ["open-tasks"],
        ),
        (make_account("admin"), ["open-tasks", "today-earnings", "dead-letters"], ["my-balance"]),
    ]:
        other = app.test_client()
        assert log_in(other, role.login, role.password).status_code == 302
        page = other.get("/").get_data(as_text=True)
        assert all(f'id="{card}"' in page for card in shown), role.role
        assert not any(f'id="{card}"' in page for card in hidden), role.role
    assert worker.full_name
