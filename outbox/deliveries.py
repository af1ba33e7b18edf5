"""What the broker still owes each consumer, so nothing it loses stays lost.

The relay writes one row per (consumer, event) in the transaction that marks the event relayed;
the consumer deletes it in the transaction that handles or buries the event. A row still here
after its `due_at` was lost on the way (Redis restarted without its data, a message dropped)
and is sent again; the consumer's inbox absorbs it if it was only late. A failed attempt moves
`due_at` past the retry's backoff, so a retry waiting in the broker is not sent twice.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.database import insert, pg_array, utcnow
from outbox.tables import dead_letters, deliveries, event_archive, inbox

EventId = sa.Uuid(as_uuid=False)


def owed(session: Session, fanned_out: dict[str, list[dict]], due_at: datetime) -> None:
    """Record the deliveries just sent (one statement on PostgreSQL, however many)."""
    pairs = [(name, m["event_id"]) for name, messages in fanned_out.items() for m in messages]
    if not pairs:
        return
    now = utcnow()
    statement = insert(session, deliveries)
    if session.get_bind().dialect.name == "postgresql":
        names, ids = zip(*pairs, strict=True)
        source = sa.select(
            sa.func.unnest(pg_array(names, sa.String, "consumers")),
            sa.func.unnest(pg_array(ids, EventId, "event_ids")),
            sa.literal(now, deliveries.c.relayed_at.type),
            sa.literal(due_at, deliveries.c.due_at.type),
        )
        statement = statement.from_select(["consumer", "event_id", "relayed_at", "due_at"], source)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["consumer", "event_id"], set_={"due_at": statement.excluded.due_at}
            )
        )
        return
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["consumer", "event_id"], set_={"due_at": statement.excluded.due_at}
        ),
        [{"consumer": c, "event_id": e, "relayed_at": now, "due_at": due_at} for c, e in pairs],
    )


def settled(session: Session, consumer: str, event_ids: Iterable[str]) -> None:
    """The consumer handled or buried these events: nothing is owed any more."""
    event_ids = list(event_ids)
    if not event_ids:
        return
    if session.get_bind().dialect.name == "postgresql" and len(event_ids) > 1:
        among = deliveries.c.event_id.in_(sa.select(sa.func.unnest(pg_array(event_ids, EventId))))
    else:
        among = deliveries.c.event_id.in_(event_ids)
    session.execute(sa.delete(deliveries).where(deliveries.c.consumer == consumer, among))


def retrying(
    session: Session, consumer: str, event_id: str, error: str, attempts: int, retry_at: datetime
) -> None:
    """A failed attempt: its retry waits in the broker until `retry_at`."""
    session.execute(
        sa.update(deliveries)
        .where(deliveries.c.consumer == consumer, deliveries.c.event_id == event_id)
        .values(attempts=attempts, last_error=error, due_at=retry_at)
    )


def _settled(session: Session):
    """The row's consumer has handled the event (its inbox) or buried it (a dead letter)."""
    handled = sa.exists().where(
        inbox.c.consumer == deliveries.c.consumer, inbox.c.event_id == deliveries.c.event_id
    )
    # Dead letters keep the event id as text; SQLite stores a UUID column as bare hex.
    if session.get_bind().dialect.name == "sqlite":
        buried_id = sa.func.replace(dead_letters.c.event_id, "-", "")
        owed_id = deliveries.c.event_id
    else:
        buried_id, owed_id = dead_letters.c.event_id, sa.cast(deliveries.c.event_id, sa.String)
    buried = sa.exists().where(
        dead_letters.c.consumer == deliveries.c.consumer,
        buried_id == owed_id,
        dead_letters.c.replayed_at.is_(None),
    )
    return handled | buried


def forget_settled(session: Session) -> None:
    """Drop rows a consumer settled before the relay committed them: a fast consumer's delete
    found nothing to delete yet."""
    session.execute(sa.delete(deliveries).where(_settled(session)))


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
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=deliveries)
    return session.execute(query).all()


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
        # In relay order, the first row not settled: rows a fast consumer settled before the
        # relay committed them wait for `forget_settled`, and are few.
        oldest = session.scalar(
            sa.select(deliveries.c.relayed_at)
            .where(deliveries.c.consumer == name, ~_settled(session))
            .order_by(deliveries.c.relayed_at)
            .limit(1)
        )
        ages[name] = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    return ages


def backoff_ceiling(attempts: int, min_backoff_ms: int, max_backoff_ms: int) -> timedelta:
    """The longest wait Dramatiq's Retries picks before this attempt (it jitters below it)."""
    return timedelta(milliseconds=min(min_backoff_ms * 2 ** min(attempts, 32), max_backoff_ms))
