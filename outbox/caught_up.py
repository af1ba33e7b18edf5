"""Whether a consumer has caught up: the events published before a moment that it subscribes to
and has neither handled (its inbox) nor buried (a dead letter: waiting for it would be futile).

What the day close waits for: a close pays what the books hold, so the books must hold every
fee and reward published before it.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from outbox.consumers import CONSUMERS
from outbox.tables import dead_letters, events, inbox

# Events relayed longer ago than this and still not handled are the relay's and the dead
# letters' business, not a close's: looking further back would read the whole work queue.
LOOKBACK = timedelta(days=1)


def unapplied(session: Session, consumer_name: str, published_before: datetime) -> int:
    """How many events published before `published_before` the consumer has yet to apply."""
    names = sorted(CONSUMERS[consumer_name].handlers)
    owed = (
        events.c.event_name.in_(names)
        & (events.c.event_time < published_before)
        & ~sa.exists().where(
            inbox.c.consumer == consumer_name, inbox.c.event_id == events.c.event_id
        )
        & ~sa.exists().where(
            dead_letters.c.consumer == consumer_name,
            dead_letters.c.event_id == backend(session).as_text(events.c.event_id),
        )
    )
    # The pending ones first (a small index): while any wait for the relay, that is the answer.
    pending = _count(session, owed & events.c.relayed_at.is_(None))
    if pending:
        return pending
    relayed_lately = events.c.relayed_at >= published_before - LOOKBACK
    return _count(session, owed & relayed_lately)


def _count(session: Session, condition) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(events).where(condition))
