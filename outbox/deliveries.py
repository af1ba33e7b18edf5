"""What the broker still owes each consumer, so nothing it loses stays lost.

The relay writes one row per (consumer, event) in the transaction that marks the event relayed.
The consumer's inbox row (or dead letter) settles it; the relay deletes settled rows before it
looks for overdue ones, so consumers write nothing here on their busy path. A row not settled
after its `due_at` was lost on the way (Redis restarted without its data, a message dropped)
and is sent again; the consumer's inbox absorbs it if it was only late. A failed attempt moves
`due_at` past the retry's backoff, so a retry waiting in the broker is not sent twice.
"""

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import Backend, backend
from ates.database import utcnow
from outbox.tables import dead_letters, deliveries, event_archive, inbox

EventId = sa.Uuid(as_uuid=False)


OWED = {key: deliveries.c[key].type for key in ("consumer", "event_id", "relayed_at", "due_at")}


def owed(session: Session, fanned_out: dict[str, list[dict]], due_at: datetime) -> None:
    """Record the deliveries just sent, in one statement however many."""
    now = utcnow()
    rows = [
        {"consumer": name, "event_id": m["event_id"], "relayed_at": now, "due_at": due_at}
        for name, messages in fanned_out.items()
        for m in messages
    ]
    if rows:
        db = backend(session)
        session.execute(_recording_owed(db), {"owed": db.records_text(OWED, rows)})


@functools.cache
def _recording_owed(db: Backend):
    # Built once: constructing the statement cost the relay more than running it.
    source = db.records(OWED, None, "owed")
    # `WHERE true`: SQLite reads ON CONFLICT after a bare SELECT as a join's ON.
    return _owing(db, sa.select(*source.c).where(sa.true()))


def _owing(db: Backend, source: sa.Select):
    """Insert `source`'s (consumer, event_id, relayed_at, due_at) rows; one sent again is due
    at its new time."""
    statement = db.insert(deliveries).from_select(list(OWED), source)
    return statement.on_conflict_do_update(
        index_elements=["consumer", "event_id"], set_={"due_at": statement.excluded.due_at}
    )


SUBSCRIBED = {"event_name": sa.String(), "consumer": sa.String()}


def owed_of_marked(db: Backend, marked: sa.FromClause):
    """`owed` for a batch being marked relayed, as a statement on the marking's rows (a
    data-modifying CTE with `event_id`, `event_name`, `relayed_at`), built once. Bound at
    execution: `subscribed` (`subscriptions_text`) and `due_at`."""
    subscribed = db.records(SUBSCRIBED, None, "subscribed")
    source = sa.select(
        subscribed.c.consumer,
        marked.c.event_id,
        marked.c.relayed_at,
        sa.bindparam("due_at", type_=deliveries.c.due_at.type),
    ).join_from(marked, subscribed, subscribed.c.event_name == marked.c.event_name)
    return _owing(db, source)


def subscriptions_text(db: Backend, subscribers: dict[str, list[str]]) -> str:
    """What `owed_of_marked` binds as `subscribed`: each event name with its consumers."""
    rows = [
        {"event_name": name, "consumer": consumer}
        for name, consumers in subscribers.items()
        for consumer in consumers
    ]
    return db.records_text(SUBSCRIBED, rows)


def retrying(
    session: Session, consumer: str, event_id: str, error: str, attempts: int, retry_at: datetime
) -> None:
    """A failed attempt: its retry waits in the broker until `retry_at`."""
    session.execute(
        sa.update(deliveries)
        .where(deliveries.c.consumer == consumer, deliveries.c.event_id == event_id)
        .values(attempts=attempts, last_error=error, due_at=retry_at)
    )


def settled_already(session: Session):
    """The row's consumer has handled the event (its inbox) or buried it (a dead letter)."""
    handled = sa.exists().where(
        inbox.c.consumer == deliveries.c.consumer, inbox.c.event_id == deliveries.c.event_id
    )
    # Dead letters keep the event id as text.
    buried = sa.exists().where(
        dead_letters.c.consumer == deliveries.c.consumer,
        dead_letters.c.event_id == backend(session).as_text(deliveries.c.event_id),
        dead_letters.c.replayed_at.is_(None),
    )
    return handled | buried


def forget_settled(session: Session) -> None:
    """Drop the rows consumers have settled since the last time, in one statement."""
    session.execute(sa.delete(deliveries).where(settled_already(session)))


def overdue(session: Session, consumer: str, now: datetime, limit: int) -> list:
    """The consumer's deliveries past due, oldest first, with their archived events.

    On PostgreSQL the rows stay locked until commit and locked ones are skipped, so relays
    running side by side do not send the same event twice.
    """
    query = (
        sa.select(event_archive)
        .join(deliveries, deliveries.c.event_id == event_archive.c.event_id)
        .where(deliveries.c.consumer == consumer, deliveries.c.due_at <= now)
        .order_by(deliveries.c.due_at, event_archive.c.id)
        .limit(limit)
    )
    return session.execute(backend(session).for_update(query, skip_locked=True)).all()


def postpone(session: Session, consumer: str, event_ids: list[str], due_at: datetime) -> None:
    session.execute(
        sa.update(deliveries)
        .where(deliveries.c.consumer == consumer, deliveries.c.event_id.in_(event_ids))
        .values(due_at=due_at)
    )


def lag(session: Session, consumers: Iterable[str], now: datetime | None = None) -> dict:
    """Per consumer, the age in seconds of the oldest event relayed and not yet settled."""
    now = now or utcnow()
    ages = {}
    for name in consumers:
        # In relay order, the first row not settled; settled ones wait for `forget_settled`.
        oldest = session.scalar(
            sa.select(deliveries.c.relayed_at)
            .where(deliveries.c.consumer == name, ~settled_already(session))
            .order_by(deliveries.c.relayed_at)
            .limit(1)
        )
        ages[name] = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    return ages


def owed_counts(session: Session) -> dict[str, int]:
    """Per consumer, how many events relayed to it it has not settled yet."""
    query = (
        sa.select(deliveries.c.consumer, sa.func.count())
        .where(~settled_already(session))
        .group_by(deliveries.c.consumer)
    )
    return dict(session.execute(query).all())


def backoff_ceiling(attempts: int, min_backoff_ms: int, max_backoff_ms: int) -> timedelta:
    """The longest wait Dramatiq's Retries picks before this attempt (it jitters below it)."""
    return timedelta(milliseconds=min(min_backoff_ms * 2 ** min(attempts, 32), max_backoff_ms))
