"""What the operations page and the metrics show: relay throughput, consumer lag, dead letters."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import utcnow
from outbox.consumers import CONSUMERS
from outbox.tables import dead_letters, event_archive, events, inbox

DEAD_LETTERS_SHOWN = 200


@dataclass(frozen=True)
class Minute:
    start: datetime  # aware UTC
    relayed: int


def relayed_per_minute(session: Session, minutes: int = 15, now: datetime | None = None):
    """Events relayed in each of the last `minutes` whole minutes, oldest first, the current
    (unfinished) minute last; one grouped count over the archive's relay-time index."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    since = now - timedelta(minutes=minutes - 1)
    database = backend(session)
    bucket = database.minute_of(event_archive.c.relayed_at)
    counts = {
        database.as_minute(minute): count
        for minute, count in session.execute(
            sa.select(bucket, sa.func.count())
            .where(event_archive.c.relayed_at >= since)
            .group_by(bucket)
        ).all()
    }
    return [
        Minute(start, counts.get(start, 0))
        for start in (since + timedelta(minutes=i) for i in range(minutes))
    ]


@dataclass(frozen=True)
class DeadLetter:
    id: int
    consumer: str
    event_name: str | None
    event_version: int | None
    event_id: str | None
    error: str
    failed_at: datetime
    attempts: int = 1
    data: dict = field(default_factory=dict)  # the event's payload, where a page shows it


DEAD_LETTER_COLUMNS = tuple(name for name in DeadLetter.__dataclass_fields__ if name != "data")


def waiting_dead_letters(session: Session, limit: int = DEAD_LETTERS_SHOWN) -> list[DeadLetter]:
    """The oldest dead letters not yet replayed, by consumer (counts come from `status`)."""
    rows = session.execute(
        sa.select(*(dead_letters.c[name] for name in DEAD_LETTER_COLUMNS))
        .where(dead_letters.c.replayed_at.is_(None))
        .order_by(dead_letters.c.consumer, dead_letters.c.id)
        .limit(limit)
    ).all()
    return [DeadLetter(*row) for row in rows]


LAG_WINDOW_MINUTES = 15


def consumer_lag(session: Session, now: datetime | None = None) -> dict[str, tuple[int, float]]:
    """Per consumer: how many events relayed in the last minutes it has neither handled nor
    dead-lettered, and the age in seconds of the oldest (0 when none). Bounded by the window,
    so a scrape stays cheap however long the outbox keeps relayed rows."""
    now = now or utcnow()
    since = now - timedelta(minutes=LAG_WINDOW_MINUTES)
    # Dead letters keep the id as the message had it: the text of the UUID.
    event_id = backend(session).as_text(events.c.event_id)
    lag = {}
    for name, consumer in sorted(CONSUMERS.items()):
        handled = sa.exists().where(inbox.c.consumer == name, inbox.c.event_id == events.c.event_id)
        buried = sa.exists().where(
            dead_letters.c.consumer == name, dead_letters.c.event_id == event_id
        )
        count, oldest = session.execute(
            sa.select(sa.func.count(), sa.func.min(events.c.event_time)).where(
                events.c.relayed_at >= since,
                events.c.event_name.in_(list(consumer.handlers)),
                ~handled,
                ~buried,
            )
        ).one()
        if oldest is not None and oldest.tzinfo is None:  # SQLite's min() bypasses the type
            oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=UTC)
        lag[name] = (count, (now - oldest).total_seconds() if oldest else 0.0)
    return lag
