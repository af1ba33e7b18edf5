"""What the operations page and the metrics show: relay throughput, consumer lag, dead letters."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import utcnow
from outbox import deliveries
from outbox.consumers import CONSUMERS
from outbox.tables import dead_letters, event_archive

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


def consumer_lag(session: Session, now: datetime | None = None) -> dict[str, tuple[int, float]]:
    """Per consumer: how many events were relayed to it and are neither handled nor
    dead-lettered yet (`outbox.deliveries`), and the age in seconds of the oldest (0: none)."""
    ages = deliveries.lag(session, sorted(CONSUMERS), now)
    counts = deliveries.owed_counts(session)
    return {name: (counts.get(name, 0), age) for name, age in ages.items()}
