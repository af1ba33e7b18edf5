"""The event catalog as an AsyncAPI 3.0 document, generated from the registry and consumers.

One channel per event name (its address is the name) with one message per version. A message's
payload is the envelope every consumer receives, with `data` held to the version's registered
JSON Schema; it is given as a Multi Format Schema Object in JSON Schema 2020-12, the dialect the
registry validates with. The producer `send`s every version it may still publish; each consumer
`receive`s the versions it declares.
"""

from outbox.contracts.catalog import CatalogEntry, entries
from outbox.events import ENVELOPE_FIELDS

ASYNCAPI_VERSION = "3.0.0"
SCHEMA_FORMAT = "application/schema+json;version=2020-12"
JSON_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
EXAMPLE_ENVELOPE = {
    "event_id": "00000000-0000-4000-8000-000000000000",
    "event_time": "2026-11-25T08:00:00+00:00",
    "key": "00000000-0000-4000-8000-000000000001",
    "correlation_id": "req-3f2a9c0d1e4b5a6978c0d1e2",
}


def envelope_schema(name: str, version: int, producer: str, data_schema: dict) -> dict:
    """The whole message on the wire; `data` is the registered schema of that version."""
    data = {key: value for key, value in data_schema.items() if key != "$schema"}
    return {
        "$schema": JSON_SCHEMA_2020_12,
        "title": f"{name} v{version}",
        "type": "object",
        "required": sorted(ENVELOPE_FIELDS),
        "properties": {
            "event_id": {"type": "string", "format": "uuid"},
            "event_name": {"const": name},
            "event_version": {"const": version},
            "event_time": {"type": "string", "format": "date-time"},
            "producer": {"const": producer},
            "key": {"type": "string", "description": "the public id of the aggregate"},
            "data": {"$ref": "#/$defs/data"},
            "correlation_id": {
                "type": ["string", "null"],
                "maxLength": 64,
                "description": "the request or scheduled job that caused it (absent on events "
                "published before it was added)",
            },
        },
        "$defs": {"data": data},
    }


def example_message(name: str, version: int, producer: str, data: dict) -> dict:
    return EXAMPLE_ENVELOPE | {
        "event_name": name,
        "event_version": version,
        "producer": producer,
        "data": data,
    }


def _message(entry: CatalogEntry, version) -> dict:
    message = {
        "name": f"{entry.name}.v{version.version}",
        "title": f"{entry.name} v{version.version}",
        "contentType": "application/json",
        "payload": {
            "schemaFormat": SCHEMA_FORMAT,
            "schema": envelope_schema(entry.name, version.version, entry.producer, version.schema),
        },
    }
    if description := version.schema.get("description"):
        message["description"] = description
    if version.deprecated:
        message["deprecated"] = True
    if version.example is not None:
        message["examples"] = [
            {
                "name": "example",
                "payload": example_message(
                    entry.name, version.version, entry.producer, version.example
                ),
            }
        ]
    return message


def _ref(*parts: str) -> dict:
    return {"$ref": "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)}


def document(catalog: list[CatalogEntry] | None = None) -> dict:
    """The AsyncAPI 3.0 document of every registered event and every consumer."""
    catalog = entries() if catalog is None else catalog
    channels, operations = {}, {}
    for entry in catalog:
        if not entry.registered:
            continue  # a consumer of an unknown event: the contract tests refuse it anyway
        messages = {f"v{v.version}": _message(entry, v) for v in entry.versions}
        channels[entry.name] = {
            "address": entry.name,
            "title": entry.name,
            "description": f"Published by {entry.producer}.",
            "messages": messages,
        }
        sent = [v for v in entry.versions if not v.deprecated] or entry.versions
        operations[f"{entry.producer}.send.{entry.name}"] = {
            "action": "send",
            "title": f"{entry.producer} publishes {entry.name}",
            "channel": _ref("channels", entry.name),
            "messages": [_ref("channels", entry.name, "messages", f"v{v.version}") for v in sent],
            "tags": [{"name": entry.producer}],
        }
        for consumer, versions in entry.consumers.items():
            known = [v for v in versions if f"v{v}" in messages]
            operations[f"{consumer}.receive.{entry.name}"] = {
                "action": "receive",
                "title": f"{consumer} handles {entry.name}",
                "channel": _ref("channels", entry.name),
                "messages": [_ref("channels", entry.name, "messages", f"v{v}") for v in known],
                "tags": [{"name": consumer}],
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:uberpopug:ates:events",
        "info": {
            "title": "aTES events",
            "version": "1.0.0",
            "description": (
                "Every event the aTES domains publish through the transactional outbox, and who"
                " handles which version. Generated from the schema registry and the consumer"
                " registrations."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
    }
