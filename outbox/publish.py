"""Publishing: outbox rows written through the caller's session, in the caller's transaction."""

import json
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
    batch = list(batch)
    if len(batch) > 1 and session.get_bind().dialect.name == "postgresql":
        return _publish_unnest(session, batch)
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


# A list of parameters becomes one INSERT ... SELECT FROM unnest(arrays): executemany would send
# one INSERT per event (100,000 for a big Reassign), multi-row VALUES hits the parameter limit.
UNNEST_INSERT = sa.text(
    """
    INSERT INTO outbox.events
        (event_id, event_name, event_version, event_time, producer, key, data)
    SELECT CAST(i AS uuid), n, v, CAST(t AS timestamptz), p, k, CAST(d AS jsonb)
    FROM unnest(CAST(:ids AS text[]), CAST(:names AS text[]), CAST(:versions AS integer[]),
                CAST(:times AS text[]), CAST(:producers AS text[]), CAST(:keys AS text[]),
                CAST(:data AS text[])) AS u(i, n, v, t, p, k, d)
    """
)


def _publish_unnest(session: Session, batch: list[Event]) -> int:
    for event in batch:
        if event.event_time.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC time")
    session.execute(
        UNNEST_INSERT,
        {
            "ids": [str(e.event_id) for e in batch],
            "names": [e.event_name for e in batch],
            "versions": [e.event_version for e in batch],
            "times": [e.event_time.isoformat() for e in batch],
            "producers": [e.producer for e in batch],
            "keys": [str(e.key) for e in batch],
            "data": [json.dumps(e.data) for e in batch],
        },
    )
    return len(batch)
