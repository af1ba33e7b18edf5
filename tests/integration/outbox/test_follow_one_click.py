"""Follow one click: every event carries the request that caused it, and the operations page
shows for a task, an event or a request every event it caused and when each subscriber had it."""

import re

import sqlalchemy as sa

from domains.tracker.tables import tasks
from outbox.tables import event_archive
from tests.conftest import fetch_csrf_token, log_in


def complete_a_task(app, deliver, make_account, runtime):
    """A worker creates a task (it goes to them) and marks it done: two clicks."""
    worker = make_account("worker")
    parrot = app.test_client()
    log_in(parrot, worker.login, worker.password)
    created = parrot.post(
        "/tasks/",
        data={"title": "Polish the perch", "jira_id": "", "description": ""},
        headers={"HX-Request": "true", "X-CSRFToken": fetch_csrf_token(parrot)},
    )
    deliver()
    with runtime.db.reading() as session:
        task = session.scalar(sa.select(tasks.c.public_id))
    done = parrot.post(
        f"/tasks/{task}/complete",
        headers={"HX-Request": "true", "X-CSRFToken": fetch_csrf_token(parrot)},
    )
    assert done.status_code == 200
    deliver()
    return str(task), created.headers["X-Request-ID"], done.headers["X-Request-ID"]


def archived(runtime, **where):
    query = sa.select(event_archive)
    for column, value in where.items():
        query = query.where(event_archive.c[column] == value)
    with runtime.db.reading() as session:
        return session.execute(query.order_by(event_archive.c.id)).all()


def test_every_event_of_a_click_and_of_what_it_set_off_carries_the_request_id(
    app, deliver, make_account, runtime
):
    task, _created_by, completed_by = complete_a_task(app, deliver, make_account, runtime)
    caused = archived(runtime, correlation_id=completed_by)
    names = {row.event_name for row in caused}
    # The tracker's event, and accounting's reward published while handling it.
    assert "task.completed" in names and "ledger_entry.recorded" in names
    assert all(row.correlation_id == completed_by for row in caused)
    [completion] = [row for row in caused if row.event_name == "task.completed"]
    assert completion.key == task


def test_the_operations_page_follows_a_task_to_every_subscriber_that_handled_it(
    app, client, login_as, deliver, make_account, runtime
):
    task, created_by, completed_by = complete_a_task(app, deliver, make_account, runtime)
    login_as("admin")
    page = client.get("/operations/follow", query_string={"id": task}).get_data(as_text=True)
    assert created_by in page and completed_by in page
    assert "task.completed v1" in page and "ledger_entry.recorded v1" in page
    assert re.search(r"accounting:\s*handled", page) and re.search(r"analytics:\s*handled", page)
    assert "waiting" not in page and "dead letter" not in page


def test_an_event_id_or_a_request_id_shows_its_whole_cause(
    app, client, login_as, deliver, make_account, runtime
):
    _task, _created_by, completed_by = complete_a_task(app, deliver, make_account, runtime)
    [completion] = archived(runtime, event_name="task.completed")
    login_as("admin")
    by_event = client.get("/operations/follow", query_string={"id": str(completion.event_id)})
    by_request = client.get("/operations/follow", query_string={"id": completed_by})
    for page in (by_event.get_data(as_text=True), by_request.get_data(as_text=True)):
        assert f"Caused by <code>{completed_by}</code>" in page
        assert "ledger_entry.recorded v1" in page


def test_an_unknown_id_gets_a_clear_answer(client, login_as):
    login_as("admin")
    page = client.get("/operations/follow", query_string={"id": "no-such-thing"})
    assert page.status_code == 200
    assert "No event was caused by, keyed by or named no-such-thing." in page.get_data(as_text=True)


def test_only_admins_follow_clicks(client, login_as):
    login_as("worker")
    assert client.get("/operations/follow", query_string={"id": "x"}).status_code == 403


def test_a_reassign_press_and_every_fee_it_cost_carry_the_press_request_id(
    app, deliver, make_account, runtime
):
    worker = make_account("worker")
    make_account("worker")
    parrot = app.test_client()
    log_in(parrot, worker.login, worker.password)
    for title in ("Sort the seeds", "Count the perches", "Water the palms"):
        parrot.post(
            "/tasks/",
            data={"title": title, "jira_id": "", "description": ""},
            headers={"HX-Request": "true", "X-CSRFToken": fetch_csrf_token(parrot)},
        )
    deliver()
    manager = make_account("manager")
    boss = app.test_client()
    log_in(boss, manager.login, manager.password)
    pressed = boss.post(
        "/tasks/reassign", headers={"HX-Request": "true", "X-CSRFToken": fetch_csrf_token(boss)}
    )
    assert pressed.status_code == 200, pressed.get_data(as_text=True)
    deliver()
    caused = archived(runtime, correlation_id=pressed.headers["X-Request-ID"])
    assert [row.event_name for row in caused].count("task.assigned") == 3
    fees = [row for row in caused if row.event_name == "ledger_entry.recorded"]
    assert len(fees) == 3 and {row.data["kind"] for row in fees} == {"assign_fee"}
