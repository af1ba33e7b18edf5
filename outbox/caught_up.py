"""Whether a consumer has caught up: the events published before a moment that it subscribes to
and has not settled yet (handled, or buried in a dead letter: waiting for that would be futile).

What the day close waits for: a close pays what the books hold, so the books must hold every
fee and reward published before it. Events still in the outbox are counted there; events
already relayed are what the broker still owes the consumer (`outbox.deliveries`, a few rows).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbox.consumers import CONSUMERS
from outbox.deliveries import settled_already
from outbox.tables import deliveries, event_archive, events, inbox


def unapplied(session: Session, consumer_name: str, published_before: datetime) -> int:
    """How many events published before `published_before` the consumer has yet to apply."""
    handled = sa.exists().where(
        inbox.c.consumer == consumer_name, inbox.c.event_id == events.c.event_id
    )
    pending = session.scalar(
        sa.select(sa.func.count())
        .select_from(events)
        .where(
            events.c.relayed_at.is_(None),
            events.c.event_name.in_(sorted(CONSUMERS[consumer_name].handlers)),
            events.c.event_time < published_before,
            ~handled,
        )
    )
    if pending:
        return pending
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(deliveries)
        .join(event_archive, event_archive.c.event_id == deliveries.c.event_id)
        .where(
            deliveries.c.consumer == consumer_name,
            event_archive.c.event_time < published_before,
            ~settled_already(session),
        )
    )
