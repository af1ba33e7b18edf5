"""Publishing: outbox rows written through the caller's session, in the caller's transaction."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbox.events import Event, registry
from outbox.tables import events


def publish(session: Session, name: str, version: int, *, producer: str, key, data: dict) -> Event:
    """Validate one event and add it to the outbox; it leaves only if the caller commits."""
    event = registry.new_event(name, version, producer=producer, key=key, data=data)
    publish_events(session, [event])
    return event


def publish_events(session: Session, batch: Iterable[Event]) -> int:
    """Bulk-insert already validated events (one statement, however many rows)."""
    rows = [
        {
            "event_id": event.event_id,
            "event_name": event.event_name,
            "event_version": event.event_version,
            "event_time": event.event_time,
            "producer": event.producer,
            "key": event.key,
            "data": event.data,
        }
        for event in batch
    ]
    if rows:
        session.execute(sa.insert(events), rows)
    return len(rows)
