"""Each analytics handler stores the same facts whatever the order of its events."""

import random
import threading
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from domains.analytics import clock, queries
from domains.analytics.tables import accounts, ledger_entries, tasks
from outbox.consumers import apply_batch
from tests.events import apply
from tests.integration.analytics.stream import BOSS, KESHA, T1, Stream


def apply_one_by_one(runtime, stream: Stream) -> None:
    for message in stream.messages():  # in exactly this order
        apply(runtime.db, "analytics", message)


def task_row(runtime):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(tasks).where(tasks.c.public_id == T1)).one()


def test_a_completion_counts_on_the_company_s_calendar_day(runtime, monkeypatch):
    monkeypatch.setattr(clock, "company_zone", lambda: ZoneInfo("Europe/Moscow"))
    stream = Stream()
    stream.completed(T1, KESHA, "2026-03-02T22:30:00+00:00")
    apply_one_by_one(runtime, stream)
    assert task_row(runtime).completed_day == date(2026, 3, 3)


def test_an_older_account_version_arriving_late_changes_nothing(runtime):
    stream = Stream()
    stream.account(
        KESHA, "kesha", "Kesha the Second", "manager", version=3, event="account.role_changed"
    )
    stream.account(KESHA, "kesha", "Kesha", "worker", version=1)
    apply_one_by_one(runtime, stream)
    with runtime.db.transaction() as session:
        row = session.execute(sa.select(accounts)).one()
    assert (row.full_name, row.role, row.version) == ("Kesha the Second", "manager", 3)


def test_a_task_s_facts_arrive_in_any_order_and_v2_wins_over_v1(runtime):
    stream = Stream()
    stream.completed(T1, KESHA, "2026-03-03T09:30:00+00:00")
    stream.task(T1, "Feed the parrots", "UBERPOP-1", fee=1500, reward=2800)
    stream.task(T1, "[UBERPOP-9] Feed them", version=1, fee=1900, reward=3900)
    stream.completed(T1, BOSS, "2026-03-03T10:00:00+00:00")  # a later, conflicting completion
    apply_one_by_one(runtime, stream)
    row = task_row(runtime)
    assert (row.title, row.jira_id, row.created_version) == ("Feed the parrots", "UBERPOP-1", 2)
    assert row.completion_reward == 2800  # a price is fixed once
    assert (row.completed_by, row.completed_day) == (KESHA, date(2026, 3, 3))


def test_deliveries_of_the_same_entries_racing_each_other_count_each_entry_once(runtime):
    stream = Stream()
    parrots = [KESHA, BOSS, T1]  # any ids will do as accounts here
    for n in range(120):
        stream.entry(parrots[n % 3], "assign_fee", -(1000 + n), "2026-03-03", T1)
    expected = {
        p: sum(-(1000 + n) for n in range(120) if n % 3 == i) for i, p in enumerate(parrots)
    }
    # Every racer republishes the whole stream (new event ids), in its own order and batches.
    deliveries = []
    for seed in range(4):
        messages = stream.messages()
        random.Random(seed).shuffle(messages)
        deliveries.append([messages[i : i + 25] for i in range(0, len(messages), 25)])
    failures = []

    def race(batches):
        for batch in batches:
            failures.extend(apply_batch(runtime.db, "analytics", batch).failed)

    threads = [threading.Thread(target=race, args=(batches,)) for batches in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with runtime.db.transaction() as session:
        assert queries.balances_at(session, date(2026, 3, 3)) == expected
        count = session.scalar(sa.select(sa.func.count()).select_from(ledger_entries))
    assert count == 120
