"""A close pays for the whole day: it first waits (bounded) until accounting has applied every
event published before it, then closes, running again whole on a deadlock or serialization
failure. A close pressed while the workers are busy must not pay 0 to a parrot who earned money.

A scheduled close that fails anyway is noted (`scheduled_close_failures`, on the operations
page) and tried again every few minutes until the day is closed; so is one that never ran
because no worker was up at its time.
"""

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import Database, utcnow
from domains.accounting.tables import day_closes, ledger_entries, scheduled_close_failures
from outbox.caught_up import unapplied
from outbox.transient import retrying

T = TypeVar("T")

CONSUMER = "accounting"
BUTTON_WAIT_SECONDS = 30  # a page waits this long at most (the web server's timeout is 120 s)
POLL_SECONDS = 0.25


class BooksBehind(Exception):
    """The books did not catch up in time: the close did not run (nothing was paid)."""

    def __init__(self, behind: int, waited: float):
        self.behind, self.waited = behind, waited
        super().__init__(
            f"The books are still catching up: {behind} event(s) published before the close are "
            f"not applied yet after waiting {waited:.0f} s, so the day was not closed and nothing "
            "was paid. Try again in a minute."
        )


def wait_for_the_books(db: Database, published_before: datetime, wait_seconds: float) -> None:
    """Return once accounting has applied every event published before the moment given;
    raise BooksBehind after `wait_seconds`."""
    started = time.monotonic()
    while True:
        with db.reading() as session:
            behind = unapplied(session, CONSUMER, published_before)
        if not behind:
            return
        waited = time.monotonic() - started
        if waited >= wait_seconds:
            raise BooksBehind(behind, waited)
        time.sleep(POLL_SECONDS)


def close_once_caught_up(
    db: Database, close: Callable[[Session, datetime], T], wait_seconds: float
) -> T:
    """`close(session, now)` in its own transaction, once the books hold everything published
    until now; run again whole on a transient error."""
    wait_for_the_books(db, utcnow(), wait_seconds)

    def attempt() -> T:
        with db.transaction() as session:
            return close(session, utcnow())

    return retrying(attempt, "the day close")


def note_failed_close(session: Session, day: date, error: BaseException, now: datetime) -> None:
    """One more failed attempt of the scheduled close of `day`, with its error."""
    reason = f"{type(error).__name__}: {error}"[:2000]
    statement = (
        backend(session)
        .insert(scheduled_close_failures)
        .values(billing_day=day, attempts=1, last_error=reason, failed_at=now)
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[scheduled_close_failures.c.billing_day],
            set_={
                "attempts": scheduled_close_failures.c.attempts + 1,
                "last_error": statement.excluded.last_error,
                "failed_at": statement.excluded.failed_at,
            },
        )
    )


def forget_failed_close(session: Session, day: date) -> None:
    """The day is closed: its failed attempts are history."""
    session.execute(
        sa.delete(scheduled_close_failures).where(scheduled_close_failures.c.billing_day <= day)
    )


def failed_closes(session: Session) -> list[date]:
    """The billing days whose scheduled close failed and is still to be retried."""
    return list(
        session.scalars(
            sa.select(scheduled_close_failures.c.billing_day).order_by(
                scheduled_close_failures.c.billing_day
            )
        )
    )


def never_closed(session: Session, day: date) -> list[date]:
    """The days up to `day`, oldest first, that were never closed: each one after the last day
    closed, or from the books' first day (a company that started after `day` has none)."""
    last = session.scalar(sa.select(sa.func.max(day_closes.c.billing_day)))
    if last is None:
        last = session.scalar(sa.select(sa.func.min(ledger_entries.c.billing_day)))
        if last is None:
            return []
        last -= timedelta(days=1)
    return [last + timedelta(days=n) for n in range(1, (day - last).days + 1)]
