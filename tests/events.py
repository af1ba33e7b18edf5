"""Events as the schemas' own examples describe them, changed only where a test says so.

`event("task.assigned", public_id=task, assignee=kesha)` is the example of task.assigned's newest
version with those two fields replaced: the producer, the key and every other field come from
the published schema (`domains/<producer>/events/`), so a test names only what it is about and
a schema change shows up in every test that builds the event. `message(...)` is the same as the
broker carries it; the `apply` fixture (tests/conftest.py) hands messages to a consumer.
"""

import dataclasses
from datetime import datetime

from ates.bootstrap import load_schemas
from outbox.events import Event, SchemaRegistry

SCHEMAS = load_schemas(SchemaRegistry())
KEY_FIELDS = ("public_id", "account", "payment_id")


def event(name: str, version: int | None = None, *, at: datetime | None = None, **data) -> Event:
    """The schema's first example of `name` (newest version unless given), with `data` over it;
    checked against the schema, as its producer would."""
    version = version or SCHEMAS.versions(name)[-1]
    schema = SCHEMAS.schema(name, version)
    fields = schema.examples[0] | data
    key = next(fields[field] for field in KEY_FIELDS if field in fields)
    made = SCHEMAS.new_event(name, version, producer=schema.producer, key=key, data=fields)
    return made if at is None else dataclasses.replace(made, event_time=at)


def message(name: str, version: int | None = None, *, at: datetime | None = None, **data) -> dict:
    """`event(...)` as the broker carries it."""
    return event(name, version, at=at, **data).to_message()
