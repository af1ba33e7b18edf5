"""The day close: every positive balance paid and zeroed, once per account and billing day."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import UTCDateTime
from domains.accounting import PRODUCER
from domains.accounting.accounts import lock_every_ledger_account
from domains.accounting.ids import payout_id
from domains.accounting.ledger import add_to_day_totals
from domains.accounting.queries import amounts_due
from domains.accounting.rules import DAY_TOTAL_OF_KIND, DAY_TOTALS, CloseSchedule, entry_amount
from domains.accounting.tables import (
    day_close_payouts,
    day_closes,
    ledger_accounts,
    ledger_entries,
)
from outbox.publish import publish_from


class CloseRefused(Exception):
    """A close that may not run now: `day` has not begun, or (with its `schedule`) it is today
    before its scheduled time and the close was not confirmed as early."""

    def __init__(self, day: date, schedule: CloseSchedule | None = None):
        self.day, self.schedule = day, schedule
        if schedule is None:
            super().__init__(f"{day} has not begun yet; a day closes on or after itself.")
        else:
            super().__init__(
                f"{day} closes on schedule at {schedule.at:%H:%M} ({schedule.timezone}); "
                "closing it before then must be confirmed as an early close."
            )


@dataclass(frozen=True)
class DayClose:
    billing_day: date
    paid: int  # parrots paid by this run
    total: int  # cents paid by this run
    waiting_for_email: int  # positive balances kept: accounting has no e-mail for them yet
    already_closed: bool = False  # the day was closed before: this run changed nothing


def check_close(schedule: CloseSchedule, day: date, now: datetime, *, early: bool) -> bool:
    """Whether closing `day` at `now` is early; CloseRefused if it may not be closed now."""
    if day > schedule.today(now):
        raise CloseRefused(day)
    is_early = schedule.is_early(day, now)
    if is_early and not early:
        raise CloseRefused(day, schedule)
    return is_early


def close_day(
    session: Session,
    day: date,
    now: datetime,
    *,
    schedule: CloseSchedule | None = None,
    closed_by: str | None = None,
    early: bool = False,
) -> DayClose:
    """Close a billing day, once: pay every balance positive at the day's end (`amounts_due`),
    bringing it to what later days added.

    A close is final: a day is recorded closed once (when, by whom or by the schedule), and any
    later run for it changes nothing. Given the `schedule`, a day that has not begun is refused,
    and so is today before its scheduled time unless the caller closes it `early` on purpose
    (what happens later that day then belongs to the next billing day).

    Set-based: one INSERT ... SELECT claims the payouts (the unique account+day key makes a
    second or concurrent run claim nothing), one UPDATE moves the balances by what was claimed,
    then entries and events go out in bulk. All in the caller's transaction: a crash halfway
    rolls everything back and a re-run starts clean.
    """
    is_early = schedule is not None and check_close(schedule, day, now, early=early)
    lock_every_ledger_account(session)  # before any balance moves: see lock_ledger_accounts
    recorded = session.execute(
        backend(session)
        .insert(day_closes)
        .values(billing_day=day, closed_at=now, closed_by=closed_by, early=is_early)
        .on_conflict_do_nothing()
        .returning(day_closes.c.billing_day)
    ).first()
    if recorded is None:
        return DayClose(day, 0, 0, 0, already_closed=True)
    run_id = str(uuid.uuid4())
    due = amounts_due(day)
    waiting = session.scalar(sa.select(sa.func.count()).where(~due.c.payable))
    claims = sa.select(
        due.c.account_id,
        sa.literal(day, sa.Date),
        due.c.amount,
        sa.literal(run_id, sa.String(36)),
        sa.literal(now, UTCDateTime),
    ).where(due.c.payable)
    session.execute(
        backend(session)
        .insert(day_close_payouts)
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
        .values(
            balance=ledger_accounts.c.balance + entry_amount("payout", day_close_payouts.c.amount)
        )
    )
    paid, total = _record_payouts(session, run_id, day, now)
    return DayClose(day, paid, total, waiting)


def _record_payouts(session: Session, run_id: str, day: date, now: datetime) -> tuple[int, int]:
    """Payout entries, ledger_entry.recorded and payment.made for this run's claims, straight
    from the claims in SQL: no row through Python (20,000 events for 10,000 parrots)."""
    claimed = day_close_payouts.c.run_id == run_id
    paid, total = session.execute(
        sa.select(
            sa.func.count(),
            sa.cast(sa.func.coalesce(sa.func.sum(day_close_payouts.c.amount), 0), sa.BigInteger),
        ).where(claimed)
    ).one()
    if not paid:
        return 0, 0
    totals = dict.fromkeys(DAY_TOTALS, 0) | {DAY_TOTAL_OF_KIND["payout"]: total, "entries": paid}
    add_to_day_totals(session, {day: totals})
    database = backend(session)
    new_entries = (
        sa.insert(ledger_entries)
        .from_select(
            ["public_id", "account_id", "billing_day", "kind", "amount", "cause_id", "recorded_at"],
            sa.select(
                payout_id("payout", database, day_close_payouts.c.account_id, day),
                day_close_payouts.c.account_id,
                sa.literal(day, sa.Date),
                sa.literal("payout"),
                entry_amount("payout", day_close_payouts.c.amount),
                sa.literal(f"close:{day.isoformat()}"),
                sa.literal(now, UTCDateTime),
            ).where(claimed),
        )
        .returning(ledger_entries.c.public_id, ledger_entries.c.account_id, ledger_entries.c.amount)
    )
    with database.modified(session, new_entries, "entries") as entries:
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
        .where(claimed)
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
            "payment_id": payout_id("payment", database, payments.c.account_id, day),
            "account": payments.c.account_id,
            "full_name": payments.c.full_name,
            "email": payments.c.email,
            "amount": payments.c.amount,
            "billing_day": sa.literal(day.isoformat()),
        },
        event_time=now,
    )
    return paid, total
