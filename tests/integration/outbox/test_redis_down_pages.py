"""Redis stopped while parrots work: every page keeps answering, events wait in the outbox,
`/healthz` says the broker is down; with Redis back everything arrives, once.

The app here runs on a Redis server of the test's own (a second runtime over the session's
database), so stopping it disturbs nobody else. Both backends: the database is the session's.
"""

import threading

import dramatiq
import pytest
import sqlalchemy as sa

from domains.accounting.tables import ledger_entries
from domains.analytics.tables import ledger_entries as analytics_entries
from domains.tracker.tables import tasks
from outbox.operations import status
from outbox.relay import Relay
from outbox.tables import event_archive
from tests.conftest import fetch_csrf_token, log_in
from tests.processes import wait_until


@pytest.fixture
def redis_app(private_runtime):
    """The web app, its relay and a worker, all on the private Redis."""
    from web import create_app

    app = create_app(runtime=private_runtime)
    app.config.update(TESTING=True)
    return app, private_runtime


def count(runtime, table, *where) -> int:
    with runtime.db.transaction() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table).where(*where))


def logged_in(app, account):
    client = app.test_client()
    assert log_in(client, account.login, account.password).status_code == 302
    return client


def test_pages_keep_working_while_redis_is_down_and_events_arrive_once_it_is_back(
    runtime, make_account, redis_app, private_broker
):
    app, private = redis_app
    manager = make_account("manager")
    workers = [make_account("worker") for _ in range(2)]
    boss = logged_in(app, manager)
    on_call = logged_in(app, make_account("admin"))
    parrots = [logged_in(app, worker) for worker in workers]
    assert app.test_client().get("/healthz").status_code == 200

    private_broker.stop()
    health = on_call.get("/healthz")
    assert health.status_code == 503 and health.json["broker"].startswith("down")
    before = status(runtime.db).pending

    def post(client, url, **data):
        return client.post(url, data=data | {"csrf_token": fetch_csrf_token(client)})

    for n, client in enumerate([boss, *parrots]):
        response = post(client, "/tasks/", title=f"Work while Redis sleeps {n}", jira_id="")
        assert response.status_code == 302, response.get_data(as_text=True)
        assert client.get("/tasks/").status_code == 200
    reassigned = post(boss, "/tasks/reassign")
    assert reassigned.status_code == 303
    assert "Reassigned 3 open tasks." in boss.get(reassigned.headers["Location"]).get_data(
        as_text=True
    )
    completed = 0
    for worker, client in zip(workers, parrots, strict=True):
        with runtime.db.transaction() as session:
            mine = session.scalars(
                sa.select(tasks.c.public_id).where(tasks.c.assignee == worker.public_id)
            ).all()
        for task in mine:
            assert post(client, f"/tasks/{task}/complete").status_code == 302
            completed += 1
        for page in ("/", "/tasks/", "/accounting/"):
            assert client.get(page).status_code == 200, page
    # 3 tasks x (created, added, assigned) + 3 reassigned + the completions, all waiting.
    assert status(runtime.db).pending == before + 12 + completed
    health = on_call.get("/healthz")
    assert health.status_code == 503
    assert health.json["outbox"]["pending"] == before + 12 + completed
    with pytest.raises(Exception, match=r"(?i)connect"):
        Relay(runtime.db, private.send).relay_once()
    assert status(runtime.db).pending == before + 12 + completed

    private_broker.start()
    assert app.test_client().get("/healthz").status_code == 200
    worker = dramatiq.Worker(private.broker, worker_threads=2, worker_timeout=100)
    worker.start()
    stop = threading.Event()
    relay = Relay(runtime.db, private.send)
    relaying = threading.Thread(target=relay.run, args=(stop, private.retention), daemon=True)
    relaying.start()
    try:
        fees = lambda: count(runtime, ledger_entries, ledger_entries.c.kind == "assign_fee")  # noqa: E731
        wait_until(lambda: fees() == 6, 60, "the fees of 3 tasks assigned twice")
        rewards = ledger_entries.c.kind == "completion_reward"
        wait_until(lambda: count(runtime, ledger_entries, rewards) == completed, 60, "rewards")
        entries = 6 + completed
        wait_until(
            lambda: count(runtime, analytics_entries) == entries, 60, "analytics' ledger entries"
        )
        wait_until(lambda: status(runtime.db).pending == 0, 60, "an empty outbox")
    finally:
        stop.set()
        relaying.join(10)
        worker.join()
        worker.stop()
    assert count(runtime, ledger_entries) == entries
    assert count(runtime, analytics_entries) == entries
    archived = event_archive.c.event_name == "task.assigned"
    assert count(runtime, event_archive, archived) == 6
