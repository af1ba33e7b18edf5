"""Follow one click: the events a request (or job) caused, and when each subscriber handled them.

Asked with an event id, a request id (the correlation id, as in the logs and the X-Request-ID
header) or an aggregate's id (a task): an event id or request id shows its whole cause; an
aggregate shows every cause that published an event keyed by it, narrowed to the events that
mention it, so a Reassign of 100,000 tasks shows one task's share, not the burst.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbox.consumers import subscribers
from outbox.tables import dead_letters, event_archive, events, inbox

EVENTS_SHOWN = 200
CAUSES_SHOWN = 10


@dataclass(frozen=True)
class Handling:
    consumer: str
    handled_at: datetime | None = None
    error: str | None = None  # dead-lettered, waiting for a replay

    @property
    def state(self) -> str:
        if self.handled_at is not None:
            return "handled"
        return "dead letter" if self.error else "waiting"


@dataclass(frozen=True)
class FollowedEvent:
    event_id: str
    event_name: str
    event_version: int
    event_time: datetime
    producer: str
    key: str
    relayed_at: datetime | None  # None: still in the outbox
    handlings: list[Handling] = field(default_factory=list)


@dataclass(frozen=True)
class Cause:
    correlation_id: str | None
    events: list[FollowedEvent]
    more: int  # events of this cause not shown


def _all_events():
    """The archive (relayed) and what is still pending in the outbox, as one selectable."""
    columns = ("event_id", "event_name", "event_version", "event_time", "producer", "key")
    archived = sa.select(
        *(event_archive.c[c] for c in columns),
        event_archive.c.data,
        event_archive.c.correlation_id,
        event_archive.c.relayed_at,
    )
    pending = sa.select(
        *(events.c[c] for c in columns),
        events.c.data,
        events.c.correlation_id,
        events.c.relayed_at,
    ).where(events.c.relayed_at.is_(None))
    return sa.union_all(archived, pending).subquery("every_event")


def follow(session: Session, wanted: str) -> list[Cause]:
    """The causes behind `wanted` (an event id, a request id or an aggregate's id)."""
    wanted = wanted.strip()
    every = _all_events()
    if event_id := _as_uuid(wanted):
        found = session.execute(
            sa.select(every.c.correlation_id).where(every.c.event_id == event_id)
        ).first()
        if found is not None:
            alone = every.c.event_id == event_id if found.correlation_id is None else None
            return [_cause(session, every, found.correlation_id, alone)]
    as_cause = session.scalar(
        sa.select(sa.func.count()).select_from(every).where(every.c.correlation_id == wanted)
    )
    if as_cause:
        return [_cause(session, every, wanted)]
    keyed = (
        sa.select(every.c.correlation_id, sa.func.min(every.c.event_time).label("first"))
        .where(every.c.key == wanted)
        .group_by(every.c.correlation_id)
        .order_by(sa.desc("first"))
        .limit(CAUSES_SHOWN)
    )
    mentions = sa.or_(
        every.c.key == wanted, sa.cast(every.c.data, sa.Text).contains(wanted, autoescape=True)
    )
    return [_cause(session, every, row.correlation_id, mentions) for row in session.execute(keyed)]


def _as_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _cause(session, every, correlation_id, narrowed=None) -> Cause:
    if correlation_id is None:
        # Events from before correlation ids: each is its own cause, and only `narrowed` ones.
        where = sa.and_(every.c.correlation_id.is_(None), narrowed)
    else:
        where = every.c.correlation_id == correlation_id
        if narrowed is not None:
            where = sa.and_(where, narrowed)
    rows = session.execute(
        sa.select(every).where(where).order_by(every.c.event_time).limit(EVENTS_SHOWN + 1)
    ).all()
    more = 0
    if len(rows) > EVENTS_SHOWN:
        total = session.scalar(sa.select(sa.func.count()).select_from(every).where(where))
        rows, more = rows[:EVENTS_SHOWN], total - EVENTS_SHOWN
    handlings = _handlings(session, [str(row.event_id) for row in rows])
    followed = [
        FollowedEvent(
            str(row.event_id),
            row.event_name,
            row.event_version,
            row.event_time,
            row.producer,
            row.key,
            row.relayed_at,
            [
                handlings.get((str(row.event_id), name), Handling(name))
                for name in subscribers(row.event_name)
            ],
        )
        for row in rows
    ]
    return Cause(correlation_id, followed, more)


def _handlings(session, event_ids: list[str]) -> dict[tuple[str, str], Handling]:
    if not event_ids:
        return {}
    found = {}
    letters = sa.select(dead_letters.c.event_id, dead_letters.c.consumer, dead_letters.c.error)
    waiting = letters.where(
        dead_letters.c.event_id.in_(event_ids), dead_letters.c.replayed_at.is_(None)
    )
    for event_id, consumer, error in session.execute(waiting):
        found[(str(event_id), consumer)] = Handling(consumer, error=error)
    handled = sa.select(inbox.c.event_id, inbox.c.consumer, inbox.c.handled_at).where(
        inbox.c.event_id.in_(event_ids)
    )
    for event_id, consumer, handled_at in session.execute(handled):
        found[(str(event_id), consumer)] = Handling(consumer, handled_at=handled_at)
    return found
