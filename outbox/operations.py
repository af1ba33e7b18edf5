"""What on-call needs: outbox figures, replay of dead letters."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from ates.database import Database, utcnow
from ates.settings import current_settings
from outbox import consumers, deliveries
from outbox.monitoring import DEAD_LETTER_COLUMNS, DeadLetter
from outbox.tables import dead_letters, events


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    oldest_pending_age_seconds: float | None
    dead_letters: dict[str, int]
    # Per consumer: the age of the oldest event relayed to it and not yet handled (0: none).
    lag_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "pending": self.pending,
            "oldest_pending_age_seconds": self.oldest_pending_age_seconds,
            "lag_seconds": self.lag_seconds,
            "dead_letters": self.dead_letters,
        }

    def troubles(self, max_lag_seconds: float, max_dead_letters: int) -> list[str]:
        """What makes the outbox degraded: lag or dead letters past their thresholds."""
        found = [
            f"{name} lags {seconds:.0f} s"
            for name, seconds in sorted(self.lag_seconds.items())
            if seconds > max_lag_seconds
        ]
        pending_age = self.oldest_pending_age_seconds or 0
        if pending_age > max_lag_seconds:
            found.append(f"the oldest pending event waits {pending_age:.0f} s")
        waiting = sum(self.dead_letters.values())
        if waiting > max_dead_letters:
            found.append(f"{waiting} dead letters wait")
        return found


def status(db: Database) -> OutboxStatus:
    with db.reading() as session:
        lag = deliveries.lag(session, sorted(consumers.CONSUMERS))
        pending, oldest = session.execute(
            sa.select(sa.func.count(), sa.func.min(events.c.event_time)).where(
                events.c.relayed_at.is_(None)
            )
        ).one()
        dead = dict(
            session.execute(
                sa.select(dead_letters.c.consumer, sa.func.count())
                .where(dead_letters.c.replayed_at.is_(None))
                .group_by(dead_letters.c.consumer)
            ).all()
        )
    if oldest is not None and oldest.tzinfo is None:  # SQLite's min() bypasses the column type
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=utcnow().tzinfo)
    age = (utcnow() - oldest).total_seconds() if oldest else None
    return OutboxStatus(pending, age, dead, lag)


def replay(
    db: Database, send, *, dead_letter_id: int | None = None, consumer: str | None = None
) -> int:
    """Send dead letters to their consumer again, marked replayed; a new failure buries anew."""
    query = sa.select(dead_letters).where(dead_letters.c.replayed_at.is_(None))
    if dead_letter_id is not None:
        query = query.where(dead_letters.c.id == dead_letter_id)
    if consumer is not None:
        query = query.where(dead_letters.c.consumer == consumer)
    with db.transaction() as session:
        rows = session.execute(query.order_by(dead_letters.c.id)).all()
        owed: dict[str, list[dict]] = {}
        for row in rows:
            send(row.consumer, [row.message])
            if consumers.event_id_of(row.event_id):  # so a replay the broker loses is re-sent
                owed.setdefault(row.consumer, []).append({"event_id": row.event_id})
        redeliver_after = timedelta(seconds=current_settings().redeliver_after_seconds)
        deliveries.owed(session, owed, utcnow() + redeliver_after)
        if rows:
            session.execute(
                sa.update(dead_letters)
                .where(dead_letters.c.id.in_([row.id for row in rows]))
                .values(replayed_at=utcnow())
            )
    return len(rows)


def dead_letters_of(db: Database, consumer: str, limit: int = 100) -> list[DeadLetter]:
    """One consumer's dead letters waiting for a replay, newest first, with their event data."""
    query = (
        sa.select(*(dead_letters.c[name] for name in DEAD_LETTER_COLUMNS), dead_letters.c.message)
        .where(dead_letters.c.consumer == consumer, dead_letters.c.replayed_at.is_(None))
        .order_by(dead_letters.c.id.desc())
        .limit(limit)
    )
    with db.reading() as session:
        return [DeadLetter(*row[:-1], data=_data_of(row.message)) for row in session.execute(query)]


def _data_of(message) -> dict:
    data = message.get("data") if isinstance(message, dict) else None
    return data if isinstance(data, dict) else {}
