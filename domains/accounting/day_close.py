"""The day close: every positive balance paid and zeroed, once per account and billing day."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.database import UTCDateTime, insert
from domains.accounting import PRODUCER
from domains.accounting.accounts import lock_every_ledger_account
from domains.accounting.ledger import add_to_day_totals, entry_data
from domains.accounting.tables import (
    DAY_TOTAL_COLUMNS,
    day_close_payouts,
    day_closes,
    ledger_accounts,
    ledger_entries,
)
from outbox import publish_events
from outbox.publish import events_of_one_shape, publish_from

CLOSE_CHUNK = 1000


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
    add_to_day_totals(session, {day: totals})
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
        entries, recorded, payments = [], [], []
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
            data = entry_data(entry_id, row.account_id, "payout", -row.amount, day, None, now)
            recorded.append((row.account_id, data))
            payment = {
                "payment_id": payment_id,
                "account": row.account_id,
                "full_name": row.full_name,
                "email": row.email,
                "amount": row.amount,
                "billing_day": day.isoformat(),
            }
            payments.append((row.account_id, payment))
        session.execute(sa.insert(ledger_entries), entries)
        for name, items in (("ledger_entry.recorded", recorded), ("payment.made", payments)):
            publish_events(session, events_of_one_shape(name, 1, producer=PRODUCER, items=items))
        after = rows[-1].account_id
