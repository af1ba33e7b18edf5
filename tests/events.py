"""Events as the schemas' own examples describe them, changed only where a test says so.

`event("task.assigned", public_id=task, assignee=kesha)` is the example of task.assigned's newest
version with those two fields replaced: the producer, the key and every other field come from
the published schema (`domains/<producer>/events/`), so a test names only what it is about and
a schema change shows up in every test that builds the event. `message(...)` is the same as the
broker carries it; `apply(db, consumer, *messages)` (the `apply` fixture in tests/conftest.py)
hands a delivery straight to a consumer: fast handler tests without a worker.
"""

import dataclasses
from datetime import datetime

from ates.bootstrap import load_schemas
from ates.database import Database
from outbox.consumers import Outcome, apply_batch
from outbox.events import Event, SchemaRegistry

SCHEMAS = load_schemas(SchemaRegistry())
KEY_FIELDS = ("public_id", "account", "payment_id")


def event(
    name: str, event_version: int | None = None, *, at: datetime | None = None, **data
) -> Event:
    """The schema's first example of `name` (newest version unless given), with `data` over it;
    checked against the schema, as its producer would."""
    version = event_version or SCHEMAS.versions(name)[-1]
    schema = SCHEMAS.schema(name, version)
    fields = schema.examples[0] | data
    key = next(fields[field] for field in KEY_FIELDS if field in fields)
    made = SCHEMAS.new_event(name, version, producer=schema.producer, key=key, data=fields)
    return made if at is None else dataclasses.replace(made, event_time=at)


def message(
    name: str, event_version: int | None = None, *, at: datetime | None = None, **data
) -> dict:
    """`event(...)` as the broker carries it."""
    return event(name, event_version, at=at, **data).to_message()


def apply(db: Database, consumer: str, *messages: dict) -> Outcome:
    """Apply one delivery to one consumer as its actor would, in this thread (no worker, no
    relay); nothing in it may fail or be dead-lettered."""
    outcome = apply_batch(db, consumer, list(messages))
    assert outcome.failed == [] and outcome.dead == 0, outcome
    return outcome
