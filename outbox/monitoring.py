"""What the operations page shows: relay throughput and the dead letters waiting for a replay."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.database import utcnow
from outbox.tables import dead_letters, event_archive

DEAD_LETTERS_SHOWN = 200


@dataclass(frozen=True)
class Minute:
    start: datetime  # aware UTC
    relayed: int


def _minute_of(column, dialect: str):
    if dialect == "sqlite":
        return sa.func.strftime("%Y-%m-%d %H:%M", column)
    return sa.func.date_trunc("minute", column)


def _as_minute(value) -> datetime:
    if isinstance(value, str):  # SQLite: the text of the minute, in UTC
        return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def relayed_per_minute(session: Session, minutes: int = 15, now: datetime | None = None):
    """Events relayed in each of the last `minutes` whole minutes, oldest first, the current
    (unfinished) minute last; one grouped count over the archive's relay-time index."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    since = now - timedelta(minutes=minutes - 1)
    bucket = _minute_of(event_archive.c.relayed_at, session.get_bind().dialect.name)
    counts = {
        _as_minute(minute): count
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
