"""A dozen ledger accounts receive every fee and reward: a backlog of them drains through the
Procfile's worker shape (2 processes x 8 threads) with every effect once and no deadlock.

The backlog waits in a Redis of the test's own (as after an outage), then a real `dramatiq
ates.worker` process with 2 x 8 applies it while a relay forwards what accounting publishes.
"""

import threading
import time

import pytest
import sqlalchemy as sa

from domains.accounting.tables import ledger_entries, priced_tasks
from domains.analytics.tables import ledger_entries as analytics_entries
from outbox.relay import Relay
from outbox.tables import dead_letters, events, inbox
from tests.company_backlog import mixed_backlog
from tests.integration.accounting.streams import assert_the_books_add_up, rows
from tests.processes import app_environment, dramatiq_worker, process, wait_until

PARROTS = 12


def deadlocks(runtime) -> int | None:
    """PostgreSQL's count of deadlocks detected in this database (None on SQLite)."""
    if runtime.db.is_sqlite:
        return None
    with runtime.db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return connection.scalar(
            sa.text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )


def count(runtime, table, *where) -> int:
    with runtime.db.reading() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(table).where(*where))


def settled(runtime, handled_by_accounting: int) -> bool:
    return (
        count(runtime, inbox, inbox.c.consumer == "accounting") >= handled_by_accounting
        and count(runtime, events, events.c.relayed_at.is_(None)) == 0
        and count(runtime, analytics_entries) == count(runtime, ledger_entries)
    )


@pytest.fixture
def relay_forwarding(private_runtime):
    """A relay thread sending to the private Redis until the test ends."""
    stop = threading.Event()
    relay = Relay(private_runtime.db, private_runtime.send, batch_size=100)
    thread = threading.Thread(target=relay.run, args=(stop, private_runtime.retention))
    yield relay, thread
    stop.set()
    if thread.is_alive():
        thread.join(10)


def test_a_backlog_for_a_dozen_parrots_drains_through_2_by_8_workers_once_without_deadlocks(
    runtime, private_runtime, relay_forwarding, tmp_path
):
    relay, relaying = relay_forwarding
    backlog = mixed_backlog(PARROTS, tasks=200, reassigns=4)
    backlog.publish(runtime.db)
    relay.drain()  # the whole backlog waits in Redis, in deliveries of 100
    before = deadlocks(runtime)

    worker = dramatiq_worker("ates.worker", processes=2, threads=8)
    env = app_environment(private_runtime.settings)
    started = time.monotonic()
    with process(worker, env, tmp_path / "worker.log"):
        relaying.start()
        wait_until(lambda: settled(runtime, len(backlog.events)), 240, "the backlog drained", 0.5)
    drained = time.monotonic() - started

    entries = rows(runtime, ledger_entries)
    prices = {p.public_id: p for p in rows(runtime, priced_tasks)}
    fees = {e.cause_id: e for e in entries if e.kind == "assign_fee"}
    rewards = {e.cause_id: e for e in entries if e.kind == "completion_reward"}
    assert len(fees) + len(rewards) == len(entries)  # one entry per cause, no payouts
    assert {cause: (e.task_id, e.account_id) for cause, e in fees.items()} == backlog.fees
    assert {cause: (e.task_id, e.account_id) for cause, e in rewards.items()} == backlog.rewards
    assert all(e.amount == -prices[e.task_id].assign_fee for e in fees.values())
    assert all(e.amount == prices[e.task_id].completion_reward for e in rewards.values())
    assert_the_books_add_up(runtime)
    assert count(runtime, dead_letters) == 0
    assert deadlocks(runtime) == before
    print(f"\n{len(backlog.events)} events for {PARROTS} parrots drained in {drained:.1f} s")
