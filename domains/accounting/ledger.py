"""The append-only ledger: fees and rewards per assignment and completion, and the day totals.

Every entry is unique per causing event, so a redelivery adds nothing; the balance moves and the
day's company totals grow in the same transaction as the entry.
"""

import json
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ates.database import UTCDateTime, array_literal, insert, pg_array, pg_in
from domains.accounting import PRODUCER
from domains.accounting.accounts import open_ledger_account
from domains.accounting.pricing import price_unseen, see_task
from domains.accounting.rules import billing_day_of
from domains.accounting.tables import (
    DAY_TOTAL_COLUMNS,
    DAY_TOTAL_SHARDS,
    day_closes,
    day_totals,
    ledger_accounts,
    ledger_entries,
)
from outbox import publish, publish_events
from outbox.publish import events_of_one_shape


def open_billing_day(session: Session, day: date) -> date:
    """The day itself, or the next day whose close has not run yet."""
    closed = set(
        session.scalars(sa.select(day_closes.c.billing_day).where(day_closes.c.billing_day >= day))
    )
    while day in closed:
        day += timedelta(days=1)
    return day


def _record_entry(
    session: Session,
    *,
    account_id: str,
    kind: str,
    amount: int,
    task_id: str | None,
    cause_id: str,
    billing_day: date,
    now: datetime,
) -> bool:
    """Append one entry and move the balance with it; False if the cause was recorded already."""
    entry_id = str(uuid.uuid4())
    inserted = session.execute(
        insert(session, ledger_entries)
        .values(
            public_id=entry_id,
            account_id=account_id,
            billing_day=billing_day,
            kind=kind,
            amount=amount,
            task_id=task_id,
            cause_id=cause_id,
            recorded_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ledger_entries.c.id)
    ).first()
    if inserted is None:
        return False
    session.execute(
        sa.update(ledger_accounts)
        .where(ledger_accounts.c.public_id == account_id)
        .values(balance=ledger_accounts.c.balance + amount)
    )
    add_to_day_totals(session, day_totals_of([(billing_day, kind, amount)]))
    publish(
        session,
        "ledger_entry.recorded",
        1,
        producer=PRODUCER,
        key=account_id,
        data=entry_data(entry_id, account_id, kind, amount, billing_day, task_id, now),
    )
    return True


# What each kind of entry adds to its day's totals (kept positive, as the business reads them).
DAY_TOTAL_OF_KIND = {
    "assign_fee": ("fees_charged", -1),
    "completion_reward": ("rewards_paid", 1),
    "payout": ("payouts", -1),
}


def day_totals_of(entries: Iterable[tuple[date, str, int]]) -> dict[date, dict[str, int]]:
    """What new entries (billing day, kind, signed amount) add to their days' totals."""
    days: dict[date, dict[str, int]] = {}
    for day, kind, amount in entries:
        totals = days.setdefault(day, dict.fromkeys(DAY_TOTAL_COLUMNS, 0))
        column, sign = DAY_TOTAL_OF_KIND[kind]
        totals[column] += sign * amount
        totals["entries"] += 1
    return days


def add_to_day_totals(session: Session, days: dict[date, dict[str, int]]) -> None:
    """Add to the company's totals of each day, in the caller's transaction."""
    if not days:
        return
    # One shard per transaction: a batch adds to one row per day, not to a row per entry.
    shard = session.info.setdefault("day_total_shard", random.randrange(DAY_TOTAL_SHARDS))
    statement = insert(session, day_totals).values(
        [{"billing_day": day, "shard": shard, **totals} for day, totals in sorted(days.items())]
    )
    added = {name: day_totals.c[name] + statement.excluded[name] for name in DAY_TOTAL_COLUMNS}
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[day_totals.c.billing_day, day_totals.c.shard], set_=added
        )
    )


def entry_data(entry_id, account_id, kind, amount, billing_day, task_id, now) -> dict:
    return {
        "entry_id": entry_id,
        "account": account_id,
        "kind": kind,
        "amount": amount,
        "billing_day": billing_day.isoformat(),
        "task": task_id,
        "recorded_at": now.isoformat(),
    }


def charge_assign_fee(
    session: Session,
    *,
    task_id: str,
    assignee: str,
    cause_id: str,
    assigned_at: datetime,
    timezone: str | ZoneInfo,
    now: datetime,
) -> bool:
    """Charge the assignee the task's fee, once per assignment (keyed by the causing event)."""
    return _record_task_entry(
        session, "assign_fee", task_id, assignee, cause_id, assigned_at, timezone, now
    )


def credit_completion_reward(
    session: Session,
    *,
    task_id: str,
    assignee: str,
    cause_id: str,
    completed_at: datetime,
    timezone: str | ZoneInfo,
    now: datetime,
) -> bool:
    """Credit the assignee the task's reward, once per completion (keyed by the causing event)."""
    return _record_task_entry(
        session, "completion_reward", task_id, assignee, cause_id, completed_at, timezone, now
    )


def _record_task_entry(session, kind, task_id, assignee, cause_id, happened_at, timezone, now):
    """The task's fee (negative) or reward (positive) for the assignee, dated when it happened."""
    price = see_task(session, task_id, now)
    open_ledger_account(session, assignee, now)
    return _record_entry(
        session,
        account_id=assignee,
        kind=kind,
        amount=-price.assign_fee if kind == "assign_fee" else price.completion_reward,
        task_id=task_id,
        cause_id=cause_id,
        billing_day=open_billing_day(session, billing_day_of(happened_at, timezone)),
        now=now,
    )


@dataclass(frozen=True)
class Assignment:
    """One task.assigned, as the bulk fee charge needs it."""

    cause_id: str
    task_id: str
    assignee: str
    assigned_at: datetime


FEES_SQL = sa.text(
    """
    INSERT INTO accounting.ledger_entries
        (public_id, account_id, billing_day, kind, amount, task_id, cause_id, recorded_at)
    SELECT gen_random_uuid(), u.a, u.d, 'assign_fee', -p.assign_fee, u.t, u.c, :now
    FROM json_to_recordset(CAST(:rows AS json)) AS u(c text, t uuid, a uuid, d date)
    JOIN accounting.priced_tasks p ON p.public_id = u.t
    ON CONFLICT DO NOTHING
    RETURNING public_id, account_id, billing_day, amount, task_id
    """
).bindparams(sa.bindparam("now", type_=UTCDateTime))


def charge_assign_fees(
    session: Session, assignments: list[Assignment], timezone: str | ZoneInfo, now: datetime
) -> int:
    """`charge_assign_fee` for many assignments at once, set-based (PostgreSQL).

    The same effects: unseen tasks priced (and task.priced published), ledger accounts opened,
    one fee entry per causing event (a redelivery adds nothing), balances moved, and one
    ledger_entry.recorded per new entry. Accounts are locked in id order, so concurrent
    deliveries wait for each other instead of deadlocking.
    """
    if not assignments:
        return 0
    tasks = sorted({a.task_id for a in assignments})
    price_unseen(session, tasks, now)
    accounts = sorted({a.assignee for a in assignments})
    session.execute(
        postgresql.insert(ledger_accounts)
        .from_select(
            ["public_id", "version", "balance", "opened_at"],
            sa.select(
                sa.func.unnest(pg_array(accounts, sa.Uuid(as_uuid=False), "accounts")),
                sa.literal(0),
                sa.literal(0),
                sa.literal(now, UTCDateTime),
            ),
        )
        .on_conflict_do_nothing()
    )
    session.execute(
        sa.select(ledger_accounts.c.public_id)
        .where(pg_in(ledger_accounts.c.public_id, accounts, sa.Uuid(as_uuid=False), "accounts"))
        .order_by(ledger_accounts.c.public_id)
        .with_for_update()
    ).all()
    days: dict[date, date] = {}
    rows = []
    for a in assignments:
        day = billing_day_of(a.assigned_at, timezone)
        if day not in days:
            days[day] = open_billing_day(session, day)
        rows.append({"c": a.cause_id, "t": a.task_id, "a": a.assignee, "d": days[day].isoformat()})
    entries = session.execute(FEES_SQL, {"rows": json.dumps(rows), "now": now}).all()
    moved: dict[str, int] = {}
    for entry in entries:
        moved[str(entry.account_id)] = moved.get(str(entry.account_id), 0) + entry.amount
    if moved:
        session.execute(
            sa.text(
                """
                UPDATE accounting.ledger_accounts a SET balance = a.balance + v.s
                FROM unnest(CAST(:accounts AS uuid[]), CAST(:sums AS bigint[])) AS v(id, s)
                WHERE a.public_id = v.id
                """
            ),
            {"accounts": array_literal(moved), "sums": array_literal(moved.values())},
        )
    add_to_day_totals(
        session, day_totals_of((e.billing_day, "assign_fee", e.amount) for e in entries)
    )
    publish_events(
        session,
        events_of_one_shape(
            "ledger_entry.recorded",
            1,
            producer=PRODUCER,
            items=(
                (
                    str(e.account_id),
                    entry_data(
                        str(e.public_id), str(e.account_id), "assign_fee", e.amount,
                        e.billing_day, str(e.task_id), now,
                    ),
                )
                for e in entries
            ),
        ),
    )  # fmt: skip
    return len(entries)
