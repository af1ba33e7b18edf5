"""Each analytics handler stores the same facts whatever the order of its events."""

from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from domains.analytics import clock
from domains.analytics.tables import accounts, tasks
from outbox.consumers import apply_batch
from tests.integration.analytics.stream import BOSS, KESHA, T1, Stream


def apply(runtime, stream: Stream) -> None:
    for message in stream.messages():  # one by one, in exactly this order
        outcome = apply_batch(runtime.db, "analytics", [message])
        assert outcome.failed == [] and outcome.dead == 0


def task_row(runtime):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(tasks).where(tasks.c.public_id == T1)).one()


def test_a_completion_counts_on_the_company_s_calendar_day(runtime, monkeypatch):
    monkeypatch.setattr(clock, "company_zone", lambda: ZoneInfo("Europe/Moscow"))
    stream = Stream()
    stream.completed(T1, KESHA, "2026-03-02T22:30:00+00:00")
    apply(runtime, stream)
    assert task_row(runtime).completed_day == date(2026, 3, 3)


def test_an_older_account_version_arriving_late_changes_nothing(runtime):
    stream = Stream()
    stream.account(
        KESHA, "kesha", "Kesha the Second", "manager", version=3, event="account.role_changed"
    )
    stream.account(KESHA, "kesha", "Kesha", "worker", version=1)
    apply(runtime, stream)
    with runtime.db.transaction() as session:
        row = session.execute(sa.select(accounts)).one()
    assert (row.full_name, row.role, row.version) == ("Kesha the Second", "manager", 3)


def test_a_task_s_facts_arrive_in_any_order_and_v2_wins_over_v1(runtime):
    stream = Stream()
    stream.completed(T1, KESHA, "2026-03-03T09:30:00+00:00")
    stream.task(T1, "Feed the parrots", "UBERPOP-1", fee=1500, reward=2800)
    stream.task(T1, "[UBERPOP-9] Feed them", version=1, fee=1900, reward=3900)
    stream.completed(T1, BOSS, "2026-03-03T10:00:00+00:00")  # a later, conflicting completion
    apply(runtime, stream)
    row = task_row(runtime)
    assert (row.title, row.jira_id, row.created_version) == ("Feed the parrots", "UBERPOP-1", 2)
    assert row.completion_reward == 2800  # a price is fixed once
    assert (row.completed_by, row.completed_day) == (KESHA, date(2026, 3, 3))
