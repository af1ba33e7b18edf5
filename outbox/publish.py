"""Publishing: outbox rows written through the caller's session, in the caller's transaction."""

import dataclasses
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import UTCDateTime, utcnow
from outbox import wakeup
from outbox.events import ENVELOPE, Event, InvalidEvent, registry
from outbox.tables import events
from outbox.tracing import correlation_of


def publish(session: Session, name: str, version: int, *, producer: str, key, data: dict) -> Event:
    """Validate one event and add it to the outbox; it leaves only if the caller commits."""
    event = registry.new_event(name, version, producer=producer, key=key, data=data)
    publish_events(session, [event])
    return event


def publish_events(session: Session, batch: Iterable[Event]) -> int:
    """Bulk-insert already validated events (one statement, however many rows)."""
    batch = list(batch)
    if not batch:
        return 0
    wakeup.published(session)
    cause = correlation_of(session)
    rows = [{name: getattr(event, name) for name in ENVELOPE} for event in batch]
    for row in rows:
        row["correlation_id"] = row["correlation_id"] or cause
    backend(session).insert_rows(session, events, rows)
    return len(rows)


def events_of_one_shape(
    name: str,
    version: int,
    *,
    producer: str,
    items: Iterable[tuple[str, dict]],
    event_time: datetime | None = None,
) -> list[Event]:
    """Events of one name made from the same typed columns, `(key, data)` each: the schema
    checks the first, the rest share its shape."""
    made = []
    for key, data in items:
        if not made:
            made.append(registry.new_event(name, version, producer=producer, key=key, data=data))
            if event_time is not None:
                made[0] = dataclasses.replace(made[0], event_time=event_time)
            continue
        extra = {"event_time": event_time} if event_time is not None else {}
        made.append(Event(name, version, producer, str(key), data, **extra))
    return made


def publish_from(
    session: Session,
    name: str,
    version: int,
    *,
    producer: str,
    source,
    key,
    data: dict,
    event_time: datetime | None = None,
) -> int:
    """One event per row of `source` (a CTE, e.g. an UPDATE ... RETURNING), set-based.

    `key` is a column of `source`; `data` maps payload fields to its columns or literals. The
    rows go to the outbox in one INSERT ... SELECT; the schema checks one of them (they share
    their shape: the same typed columns), and a failure rolls back the caller's transaction.
    """
    if version not in registry.versions(name):
        raise InvalidEvent(f"{name} v{version} is not in the schema registry")
    database = backend(session)
    columns = {
        "event_id": database.new_uuid(),
        "event_name": sa.literal(name),
        "event_version": sa.literal(version),
        "event_time": sa.literal(event_time or utcnow(), UTCDateTime),
        "producer": sa.literal(producer),
        "key": database.as_text(key),
        "data": database.json_object(data),
        "correlation_id": sa.literal(correlation_of(session), sa.String),
    }
    rows = sa.select(*columns.values()).select_from(source)
    inserted = sa.insert(events).from_select(list(columns), rows)
    count, example = database.insert_counted(session, inserted, events.c.data)
    if example is not None:
        registry.validate(name, version, example)
        wakeup.published(session)
    return count
