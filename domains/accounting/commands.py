"""The only code that writes accounting's tables; it publishes its events in the same session.

Every command is safe under redelivery and concurrency: "first sight" is an insert-if-absent on
a unique key, ledger entries are unique per causing event, payouts per account and billing day.
"""

import hashlib
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

from domains.accounting.rules import Price, billing_day_of, draw_price
from domains.accounting.tables import (
    DAY_TOTAL_COLUMNS,
    DAY_TOTAL_SHARDS,
    day_close_payouts,
    day_closes,
    day_totals,
    ledger_accounts,
    ledger_entries,
    priced_tasks,
)
from outbox import Event, publish, publish_events, registry
from outbox.db import UTCDateTime, array_literal, insert, pg_array, pg_in
from outbox.publish import publish_from

PRODUCER = "accounting"
CLOSE_CHUNK = 1000


# --- accounts ---------------------------------------------------------------------------------


def open_ledger_account(session: Session, account_id: str, now: datetime) -> None:
    """Make the parrot's ledger account if accounting has not heard of them before."""
    session.execute(
        insert(session, ledger_accounts)
        .values(public_id=account_id, version=0, balance=0, opened_at=now)
        .on_conflict_do_nothing()
    )


def lock_ledger_accounts(session: Session, account_ids: Iterable[str], now: datetime) -> None:
    """Open these parrots' ledger accounts if new and lock them all, in id order, in one statement.

    A handful of accounts receive every fee and reward: every write takes the accounts it
    touches this way first, so concurrent writers queue for them instead of deadlocking.
    (The no-op update locks an existing row; SQLite has one writer and needs no lock.)
    """
    rows = [
        {"public_id": account, "version": 0, "balance": 0, "opened_at": now}
        for account in sorted(set(account_ids))
    ]
    if not rows:
        return
    statement = insert(session, ledger_accounts).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ledger_accounts.c.public_id],
            set_={"balance": ledger_accounts.c.balance},
        )
    )


def lock_every_ledger_account(session: Session) -> None:
    """Every ledger account, locked in the same id order as `lock_ledger_accounts`."""
    session.execute(
        sa.select(ledger_accounts.c.public_id)
        .order_by(ledger_accounts.c.public_id)
        .with_for_update()
    ).all()


def record_account(session: Session, account: dict, now: datetime) -> None:
    """Keep the account's details from the highest version seen (events carry the whole account)."""
    open_ledger_account(session, account["public_id"], now)
    session.execute(
        sa.update(ledger_accounts)
        .where(
            ledger_accounts.c.public_id == account["public_id"],
            ledger_accounts.c.version < account["version"],
        )
        .values(
            login=account["login"],
            full_name=account["full_name"],
            email=account["email"],
            role=account["role"],
            active=account["active"],
            version=account["version"],
        )
    )


# --- tasks and prices -------------------------------------------------------------------------


def see_task(session: Session, task_id: str, now: datetime) -> Price:
    """The task's price; drawn and published once, the first time accounting sees the task."""
    price = draw_price()
    inserted = session.execute(
        insert(session, priced_tasks)
        .values(
            public_id=task_id,
            details_version=0,
            assign_fee=price.assign_fee,
            completion_reward=price.completion_reward,
            priced_at=now,
        )
        .on_conflict_do_nothing()
        .returning(priced_tasks.c.public_id)
    ).first()
    if inserted is not None:
        publish(
            session,
            "task.priced",
            1,
            producer=PRODUCER,
            key=task_id,
            data={
                "public_id": task_id,
                "assign_fee": price.assign_fee,
                "completion_reward": price.completion_reward,
            },
        )
        return price
    row = session.execute(
        sa.select(priced_tasks.c.assign_fee, priced_tasks.c.completion_reward).where(
            priced_tasks.c.public_id == task_id
        )
    ).one()
    return Price(row.assign_fee, row.completion_reward)


def describe_task(
    session: Session, task_id: str, title: str, jira_id: str | None, version: int, now: datetime
) -> None:
    """Fill in the task's title and Jira id; a newer event version's reading wins."""
    see_task(session, task_id, now)
    session.execute(
        sa.update(priced_tasks)
        .where(priced_tasks.c.public_id == task_id, priced_tasks.c.details_version < version)
        .values(title=title, jira_id=jira_id, details_version=version)
    )


# --- the ledger -------------------------------------------------------------------------------


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
    _add_to_day_totals(session, _day_totals_of([(billing_day, kind, amount)]))
    publish(
        session,
        "ledger_entry.recorded",
        1,
        producer=PRODUCER,
        key=account_id,
        data=_entry_data(entry_id, account_id, kind, amount, billing_day, task_id, now),
    )
    return True


# What each kind of entry adds to its day's totals (kept positive, as the business reads them).
DAY_TOTAL_OF_KIND = {
    "assign_fee": ("fees_charged", -1),
    "completion_reward": ("rewards_paid", 1),
    "payout": ("payouts", -1),
}


def _day_totals_of(entries: Iterable[tuple[date, str, int]]) -> dict[date, dict[str, int]]:
    """What new entries (billing day, kind, signed amount) add to their days' totals."""
    days: dict[date, dict[str, int]] = {}
    for day, kind, amount in entries:
        totals = days.setdefault(day, dict.fromkeys(DAY_TOTAL_COLUMNS, 0))
        column, sign = DAY_TOTAL_OF_KIND[kind]
        totals[column] += sign * amount
        totals["entries"] += 1
    return days


def _add_to_day_totals(session: Session, days: dict[date, dict[str, int]]) -> None:
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


def _entry_data(entry_id, account_id, kind, amount, billing_day, task_id, now) -> dict:
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


# --- the day close ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayClose:
    billing_day: date
    paid: int  # parrots paid by this run
    total: int  # cents paid by this run
    waiting_for_email: int  # positive balances kept: accounting has no e-mail for them yet


def close_day(session: Session, day: date, now: datetime) -> DayClose:
    """Pay every positive balance and zero it, once per account and billing day.

    Set-based: one INSERT ... SELECT claims the payouts (the unique account+day key makes a
    second or concurrent run claim nothing), one UPDATE moves the balances by what was claimed,
    then entries and events go out in bulk. All in the caller's transaction: a crash halfway
    rolls everything back and a re-run starts clean.
    """
    run_id = str(uuid.uuid4())
    lock_every_ledger_account(session)  # before any balance moves: see lock_ledger_accounts
    session.execute(
        insert(session, day_closes).values(billing_day=day, closed_at=now).on_conflict_do_nothing()
    )
    payable = ledger_accounts.c.email.is_not(None) & ledger_accounts.c.full_name.is_not(None)
    claims = sa.select(
        ledger_accounts.c.public_id,
        sa.literal(day, sa.Date),
        ledger_accounts.c.balance,
        sa.literal(run_id, sa.String(36)),
        sa.literal(now, UTCDateTime),
    ).where(ledger_accounts.c.balance > 0, payable)
    session.execute(
        insert(session, day_close_payouts)
        .from_select(["account_id", "billing_day", "amount", "run_id", "paid_at"], claims)
        .on_conflict_do_nothing()
    )
    # UPDATE ... FROM the claims: one join, not a subquery per account.
    session.execute(
        sa.update(ledger_accounts)
        .where(
            day_close_payouts.c.run_id == run_id,
            day_close_payouts.c.account_id == ledger_accounts.c.public_id,
        )
        .values(balance=ledger_accounts.c.balance - day_close_payouts.c.amount)
    )
    paid, total = _record_payouts(session, run_id, day, now)
    waiting = session.scalar(
        sa.select(sa.func.count()).where(ledger_accounts.c.balance > 0, ~payable)
    )
    return DayClose(day, paid, total, waiting)


def _record_payouts(session: Session, run_id: str, day: date, now: datetime) -> tuple[int, int]:
    """Payout entries, ledger_entry.recorded and payment.made for this run's claims."""
    paid, total = session.execute(
        sa.select(
            sa.func.count(),
            sa.cast(sa.func.coalesce(sa.func.sum(day_close_payouts.c.amount), 0), sa.BigInteger),
        ).where(day_close_payouts.c.run_id == run_id)
    ).one()
    if not paid:
        return 0, 0
    totals = dict.fromkeys(DAY_TOTAL_COLUMNS, 0) | {"payouts": total, "entries": paid}
    _add_to_day_totals(session, {day: totals})
    if session.get_bind().dialect.name == "postgresql":
        _record_payouts_set_based(session, run_id, day, now)
    else:
        _record_payouts_in_chunks(session, run_id, day, now)
    return paid, total


def payout_ids(account_id: str, day: date) -> tuple[str, str]:
    """The payout entry's and the payment's ids: the same for an account and day on any re-run,
    on either backend (`_payout_id_sql` derives them the same way in PostgreSQL)."""
    return tuple(
        str(uuid.UUID(hashlib.md5(f"{what}:{account_id}:{day.isoformat()}".encode()).hexdigest()))
        for what in ("payout", "payment")
    )


def _payout_id_sql(what: str, account_id, day: date):
    text = sa.literal(f"{what}:") + sa.cast(account_id, sa.String) + f":{day.isoformat()}"
    return sa.cast(sa.func.md5(text), sa.Uuid(as_uuid=False))


def _record_payouts_set_based(session: Session, run_id: str, day: date, now: datetime) -> None:
    """PostgreSQL: the entries and both events straight from the claims, no row through Python."""
    claims = day_close_payouts.c.run_id == run_id
    entries = (
        sa.insert(ledger_entries)
        .from_select(
            ["public_id", "account_id", "billing_day", "kind", "amount", "cause_id", "recorded_at"],
            sa.select(
                _payout_id_sql("payout", day_close_payouts.c.account_id, day),
                day_close_payouts.c.account_id,
                sa.literal(day, sa.Date),
                sa.literal("payout"),
                -day_close_payouts.c.amount,
                sa.literal(f"close:{day.isoformat()}"),
                sa.literal(now, UTCDateTime),
            ).where(claims),
        )
        .returning(ledger_entries.c.public_id, ledger_entries.c.account_id, ledger_entries.c.amount)
        .cte("entries")
    )
    publish_from(
        session,
        "ledger_entry.recorded",
        1,
        producer=PRODUCER,
        source=entries,
        key=entries.c.account_id,
        data={
            "entry_id": entries.c.public_id,
            "account": entries.c.account_id,
            "kind": sa.literal("payout"),
            "amount": entries.c.amount,
            "billing_day": sa.literal(day.isoformat()),
            "task": sa.null(),
            "recorded_at": sa.literal(now.isoformat()),
        },
        event_time=now,
    )
    payments = (
        sa.select(
            day_close_payouts.c.account_id,
            day_close_payouts.c.amount,
            ledger_accounts.c.full_name,
            ledger_accounts.c.email,
        )
        .join(ledger_accounts, ledger_accounts.c.public_id == day_close_payouts.c.account_id)
        .where(claims)
        .subquery("payments")
    )
    publish_from(
        session,
        "payment.made",
        1,
        producer=PRODUCER,
        source=payments,
        key=payments.c.account_id,
        data={
            "payment_id": _payout_id_sql("payment", payments.c.account_id, day),
            "account": payments.c.account_id,
            "full_name": payments.c.full_name,
            "email": payments.c.email,
            "amount": payments.c.amount,
            "billing_day": sa.literal(day.isoformat()),
        },
        event_time=now,
    )


def _record_payouts_in_chunks(session: Session, run_id: str, day: date, now: datetime) -> None:
    """SQLite: the same, a chunk of claims at a time through Python."""
    after = None
    checked: set[str] = set()
    while True:
        page = day_close_payouts.c.run_id == run_id
        if after is not None:
            page = page & (day_close_payouts.c.account_id > after)
        rows = session.execute(
            sa.select(
                day_close_payouts.c.account_id,
                day_close_payouts.c.amount,
                ledger_accounts.c.full_name,
                ledger_accounts.c.email,
            )
            .join(ledger_accounts, ledger_accounts.c.public_id == day_close_payouts.c.account_id)
            .where(page)
            .order_by(day_close_payouts.c.account_id)
            .limit(CLOSE_CHUNK)
        ).all()
        if not rows:
            return
        entries, events = [], []
        for row in rows:
            entry_id, payment_id = payout_ids(row.account_id, day)
            entries.append(
                {
                    "public_id": entry_id,
                    "account_id": row.account_id,
                    "billing_day": day,
                    "kind": "payout",
                    "amount": -row.amount,
                    "task_id": None,
                    "cause_id": f"close:{day.isoformat()}",
                    "recorded_at": now,
                }
            )
            data = _entry_data(entry_id, row.account_id, "payout", -row.amount, day, None, now)
            events.append(_event("ledger_entry.recorded", row.account_id, data, checked))
            payment = {
                "payment_id": payment_id,
                "account": row.account_id,
                "full_name": row.full_name,
                "email": row.email,
                "amount": row.amount,
                "billing_day": day.isoformat(),
            }
            events.append(_event("payment.made", row.account_id, payment, checked))
        session.execute(sa.insert(ledger_entries), entries)
        publish_events(session, events)
        after = rows[-1].account_id


def _event(name: str, key: str, data: dict, checked: set[str] | None = None):
    """A validated event; with `checked`, only the first of each name is run through its schema.

    A close's events all come from the same typed columns (ids, amounts, the day) and from
    account details that were validated when their auth events arrived, so they share one
    shape; jsonschema costs ~0.2 ms an event, most of a 10,000-account close.
    """
    if checked is None or name not in checked:
        if checked is not None:
            checked.add(name)
        return registry.new_event(name, 1, producer=PRODUCER, key=key, data=data)
    return Event(name, 1, PRODUCER, str(key), data)


# --- fees in bulk (a Reassign's burst) ----------------------------------------------------------


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
    _price_unseen(session, tasks, now)
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
    _add_to_day_totals(
        session, _day_totals_of((e.billing_day, "assign_fee", e.amount) for e in entries)
    )
    checked: set[str] = set()
    publish_events(
        session,
        [
            _event(
                "ledger_entry.recorded",
                str(e.account_id),
                _entry_data(
                    str(e.public_id), str(e.account_id), "assign_fee", e.amount, e.billing_day,
                    str(e.task_id), now,
                ),
                checked,
            )
            for e in entries
        ],
    )  # fmt: skip
    return len(entries)


def _price_unseen(session: Session, tasks: list[str], now: datetime) -> None:
    prices = [draw_price() for _ in tasks]
    priced = session.execute(
        sa.text(
            """
            INSERT INTO accounting.priced_tasks
                (public_id, details_version, assign_fee, completion_reward, priced_at)
            SELECT t, 0, f, r, :now
            FROM unnest(CAST(:tasks AS uuid[]), CAST(:fees AS bigint[]), CAST(:rewards AS bigint[]))
                AS u(t, f, r)
            ON CONFLICT DO NOTHING
            RETURNING public_id, assign_fee, completion_reward
            """
        ).bindparams(sa.bindparam("now", type_=UTCDateTime)),
        {
            "tasks": array_literal(tasks),
            "fees": array_literal(p.assign_fee for p in prices),
            "rewards": array_literal(p.completion_reward for p in prices),
            "now": now,
        },
    ).all()
    checked: set[str] = set()
    publish_events(
        session,
        [
            _event(
                "task.priced",
                str(row.public_id),
                {
                    "public_id": str(row.public_id),
                    "assign_fee": row.assign_fee,
                    "completion_reward": row.completion_reward,
                },
                checked,
            )
            for row in priced
        ],
    )
