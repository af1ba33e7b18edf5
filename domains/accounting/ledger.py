"""The append-only ledger: a fee per assignment, a reward per completion, and the day totals.

Every entry is unique per causing event, so a redelivery adds nothing; the balance moves and the
day's company totals grow in the same transaction as the entries. A Reassign's burst and a single
completion go through the same statements: a whole delivery at a time.
"""

import functools
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import Backend, backend
from ates.database import UTCDateTime
from domains.accounting import PRODUCER
from domains.accounting.accounts import lock_ledger_accounts
from domains.accounting.pricing import see_tasks
from domains.accounting.queries import open_billing_day
from domains.accounting.rules import DAY_TOTALS, billing_day_of, day_totals_of, entry_amount
from domains.accounting.tables import (
    DAY_TOTAL_SHARDS,
    day_totals,
    ledger_accounts,
    ledger_entries,
    priced_tasks,
)
from outbox import publish_events
from outbox.publish import events_of_one_shape

# Which of the task's prices each kind of task entry records.
PRICE_OF_KIND = {
    "assign_fee": priced_tasks.c.assign_fee,
    "completion_reward": priced_tasks.c.completion_reward,
}
ENTRY_COLUMNS = [
    "public_id", "account_id", "billing_day", "kind", "amount", "task_id", "cause_id", "recorded_at"
]  # fmt: skip


@dataclass(frozen=True)
class TaskEntry:
    """One assignment (for its fee) or completion (for its reward) of a task."""

    cause_id: str  # the causing event: the entry's idempotency key
    task_id: str
    assignee: str
    happened_at: datetime


def charge_assign_fees(
    session: Session, assignments: list[TaskEntry], timezone: str | ZoneInfo, now: datetime
) -> int:
    """Charge each assignee the task's fee, once per assignment; return how many were new."""
    return _record_task_entries(session, "assign_fee", assignments, timezone, now)


def credit_completion_rewards(
    session: Session, completions: list[TaskEntry], timezone: str | ZoneInfo, now: datetime
) -> int:
    """Credit each assignee the task's reward, once per completion; return how many were new."""
    return _record_task_entries(session, "completion_reward", completions, timezone, now)


def _record_task_entries(session, kind, items: list[TaskEntry], timezone, now) -> int:
    """Entries for tasks' fees or rewards, dated the open billing day of when they happened.

    Unseen tasks are priced (task.priced published) and unknown parrots get a ledger account;
    the accounts are locked in id order, so concurrent deliveries wait instead of deadlocking.
    """
    if not items:
        return 0
    database = backend(session)
    see_tasks(session, [item.task_id for item in items], now)
    lock_ledger_accounts(session, [item.assignee for item in items], now)
    open_days: dict[date, date] = {}
    happened = []
    for item in items:
        day = billing_day_of(item.happened_at, timezone)
        if day not in open_days:
            open_days[day] = open_billing_day(session, day)
        happened.append(
            {
                "cause_id": item.cause_id,
                "task_id": item.task_id,
                "account_id": item.assignee,
                "billing_day": open_days[day],
            }
        )
    happened_text = database.records_text(HAPPENED, happened)
    entries = session.execute(
        _recording(database, kind), {"happened": happened_text, "now": now}
    ).all()
    _move_balances(session, entries)
    add_to_day_totals(session, day_totals_of((e.billing_day, kind, e.amount) for e in entries))
    recorded = ((e.account_id, _entry_data(e, kind, e.task_id, now)) for e in entries)
    publish_events(
        session, events_of_one_shape("ledger_entry.recorded", 1, producer=PRODUCER, items=recorded)
    )
    return len(entries)


HAPPENED = {
    name: ledger_entries.c[name].type
    for name in ("cause_id", "task_id", "account_id", "billing_day")
}


@functools.cache
def _recording(database: Backend, kind: str):
    # Built once, as every statement on the path of each event (see `ates.backend.records`).
    source = database.records(HAPPENED, None, "happened")
    return (
        database.insert(ledger_entries)
        .from_select(
            ENTRY_COLUMNS,
            sa.select(
                database.new_uuid(),
                source.c.account_id,
                source.c.billing_day,
                sa.literal(kind),
                entry_amount(kind, PRICE_OF_KIND[kind]),
                source.c.task_id,
                source.c.cause_id,
                sa.bindparam("now", type_=UTCDateTime),
            )
            .join_from(source, priced_tasks, priced_tasks.c.public_id == source.c.task_id)
            .where(sa.true()),
        )
        .on_conflict_do_nothing()
        .returning(
            ledger_entries.c.public_id,
            ledger_entries.c.account_id,
            ledger_entries.c.billing_day,
            ledger_entries.c.amount,
            ledger_entries.c.task_id,
        )
    )


def _move_balances(session: Session, entries) -> None:
    """Add each account's new entries to its balance: one UPDATE for the whole delivery."""
    moved: dict[str, int] = defaultdict(int)
    for entry in entries:
        moved[entry.account_id] += entry.amount
    if not moved:
        return
    database = backend(session)
    sums = [{"account_id": account, "amount": amount} for account, amount in sorted(moved.items())]
    session.execute(_moving(database), {"moved": database.records_text(MOVED, sums)})


MOVED = {"account_id": ledger_accounts.c.public_id.type, "amount": ledger_entries.c.amount.type}


@functools.cache
def _moving(database: Backend):
    sums = database.records(MOVED, None, "moved")
    return (
        sa.update(ledger_accounts)
        .where(ledger_accounts.c.public_id == sums.c.account_id)
        .values(balance=ledger_accounts.c.balance + sums.c.amount)
    )


def add_to_day_totals(session: Session, days: dict[date, dict[str, int]]) -> None:
    """Add to the company's totals of each day, in the caller's transaction."""
    if not days:
        return
    # One shard per transaction: a batch adds to one row per day, not to a row per entry.
    shard = session.info.setdefault("day_total_shard", random.randrange(DAY_TOTAL_SHARDS))
    database = backend(session)
    rows = [{"billing_day": day, **totals} for day, totals in sorted(days.items())]
    session.execute(_adding(database), {"days": database.records_text(DAYS, rows), "shard": shard})


DAYS = {name: day_totals.c[name].type for name in ("billing_day", *DAY_TOTALS)}


@functools.cache
def _adding(database: Backend):
    source = database.records(DAYS, None, "days")
    statement = database.insert(day_totals).from_select(
        [*DAYS, "shard"],
        sa.select(*source.c, sa.bindparam("shard", type_=sa.Integer)).where(sa.true()),
    )
    added = {name: day_totals.c[name] + statement.excluded[name] for name in DAY_TOTALS}
    return statement.on_conflict_do_update(
        index_elements=[day_totals.c.billing_day, day_totals.c.shard], set_=added
    )


def _entry_data(entry, kind: str, task_id: str | None, now: datetime) -> dict:
    """The data of ledger_entry.recorded for a new entry."""
    return {
        "entry_id": entry.public_id,
        "account": entry.account_id,
        "kind": kind,
        "amount": entry.amount,
        "billing_day": entry.billing_day.isoformat(),
        "task": task_id,
        "recorded_at": now.isoformat(),
    }
