"""The event envelope and the schema registry that every producer and consumer validates against."""

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import jsonschema_rs

from ates.database import utcnow

SCHEMA_FILE = re.compile(r"^(?P<name>[a-z_]+\.[a-z_]+)\.v(?P<version>\d+)\.json$")


class InvalidEvent(ValueError):
    """An event that does not match its envelope or its registered schema."""


@dataclass(frozen=True)
class Event:
    event_name: str
    event_version: int
    producer: str
    key: str
    data: dict
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    event_time: datetime = field(default_factory=utcnow)
    # The request or scheduled job at the root of this event (outbox.tracing). Optional on the
    # wire: events published before it existed have none.
    correlation_id: str | None = None

    def to_message(self) -> dict:
        message = asdict(self)
        message["event_time"] = self.event_time.isoformat()
        return message

    @classmethod
    def from_message(cls, message) -> "Event":
        """Parse a message off the wire; anything malformed is an InvalidEvent."""
        if not isinstance(message, dict):
            raise InvalidEvent("message is not an object")
        missing = sorted(ENVELOPE_FIELDS - message.keys())
        if missing:
            raise InvalidEvent(f"envelope lacks {', '.join(missing)}")
        try:
            event_time = datetime.fromisoformat(message["event_time"])
            uuid.UUID(str(message["event_id"]))
        except (TypeError, ValueError) as error:
            raise InvalidEvent(f"bad envelope: {error}") from None
        if event_time.tzinfo is None:
            raise InvalidEvent("bad envelope: event_time has no time zone")
        if not isinstance(message["event_version"], int) or not isinstance(message["data"], dict):
            raise InvalidEvent("bad envelope: event_version must be an integer and data an object")
        correlation_id = message.get("correlation_id")
        if correlation_id is not None and not (
            isinstance(correlation_id, str) and len(correlation_id) <= 64
        ):
            raise InvalidEvent("bad envelope: correlation_id must be a text of 64 characters")
        fields = {name: message[name] for name in ENVELOPE_FIELDS} | {"event_time": event_time}
        return cls(**fields, correlation_id=correlation_id)


ENVELOPE = tuple(Event.__dataclass_fields__)  # the fields of every message, and outbox columns
OPTIONAL_ENVELOPE = frozenset({"correlation_id"})
ENVELOPE_FIELDS = frozenset(ENVELOPE) - OPTIONAL_ENVELOPE  # what every message must have


@dataclass(frozen=True)
class EventSchema:
    name: str
    version: int
    producer: str
    schema: dict
    path: Path

    @property
    def examples(self) -> list:
        return self.schema.get("examples", [])


class SchemaRegistry:
    """One JSON Schema file per event name and version: `<name>.v<version>.json`."""

    def __init__(self):
        self._schemas: dict[tuple[str, int], EventSchema] = {}
        self._validators: dict[tuple[str, int], jsonschema_rs.Draft202012Validator] = {}

    def load_dir(self, directory: Path, producer: str) -> None:
        for path in sorted(Path(directory).glob("*.json")):
            match = SCHEMA_FILE.match(path.name)
            if not match:
                raise ValueError(f"{path}: schema files are named <event.name>.v<N>.json")
            schema = json.loads(path.read_text())
            jsonschema_rs.meta.validate(schema)  # a schema that is no JSON Schema fails here
            key = (match["name"], int(match["version"]))
            self._schemas[key] = EventSchema(*key, producer=producer, schema=schema, path=path)
            # Every consumer checks every event it takes: ~1.5 µs here, where jsonschema took ~65.
            self._validators[key] = jsonschema_rs.Draft202012Validator(
                schema, validate_formats=True
            )

    def schemas(self) -> list[EventSchema]:
        return [self._schemas[key] for key in sorted(self._schemas)]

    def schema(self, name: str, version: int) -> EventSchema:
        return self._schemas[(name, version)]

    def names(self, family: str) -> list[str]:
        """Every event name of a family: `account` -> account.created, account.updated, ..."""
        if not self._schemas:
            raise RuntimeError("no event schemas loaded yet: ates.bootstrap.load_schemas first")
        return sorted({name for name, _version in self._schemas if name.split(".")[0] == family})

    def versions(self, name: str) -> list[int]:
        return sorted(version for (known, version) in self._schemas if known == name)

    def validate(self, name: str, version: int, data: dict) -> None:
        validator = self._validators.get((name, version))
        if validator is None:
            raise InvalidEvent(f"{name} v{version} is not in the schema registry")
        try:
            validator.validate(data)
        except jsonschema_rs.ValidationError as error:
            where = "/".join(str(part) for part in error.instance_path) or "data"
            raise InvalidEvent(f"{name} v{version}: {where}: {error.message}") from None

    def new_event(self, name: str, version: int, *, producer: str, key: str, data: dict) -> Event:
        """A validated event; producing one that fails its schema raises here, before commit."""
        schema = self._schemas.get((name, version))
        if schema is not None and schema.producer != producer:
            raise InvalidEvent(f"{name} is produced by {schema.producer}, not {producer}")
        self.validate(name, version, data)
        return Event(name, version, producer, str(key), data)


registry = SchemaRegistry()
