"""Event contracts: compatible under one version, accepted by every consumer, locked."""

import copy
import json

import pytest

from ates.bootstrap import EVENTS_LOCK, load_domains, load_schemas
from outbox.consumers import CONSUMERS
from outbox.contracts.compatibility import breaking_changes, differences_from_lock, lock_contents
from outbox.events import SchemaRegistry

TASK_CREATED_V2 = json.loads(
    (EVENTS_LOCK.parent / "tracker" / "events" / "task.created.v2.json").read_text()
)


def edited(change) -> dict:
    schema = copy.deepcopy(TASK_CREATED_V2)
    change(schema)
    return schema


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s["properties"].pop("description"), "data.description: removed"),
        (lambda s: s["properties"]["title"].update(type="integer"), "data.title: type"),
        (
            lambda s: s["required"].append("priority") or s["properties"].update(priority={}),
            "newly required ['priority']",
        ),
        (lambda s: s["properties"]["title"].update(pattern="^[a-z ]+$"), "data.title: pattern"),
        (lambda s: s["properties"]["title"].update(maxLength=50), "maxLength tightened to 50"),
        (lambda s: s["properties"]["jira_id"].update(format="uri"), "format changed"),
    ],
)
def test_an_incompatible_edit_of_a_published_version_is_refused(change, problem):
    problems = breaking_changes(TASK_CREATED_V2, edited(change))
    assert any(problem in p for p in problems), problems


def test_a_compatible_edit_of_a_published_version_is_accepted():
    def widen(schema):
        schema["properties"]["priority"] = {"type": "integer"}  # a new optional field
        schema["properties"]["description"]["maxLength"] = 10_000  # a looser bound

    assert breaking_changes(TASK_CREATED_V2, edited(widen)) == []


def test_the_schemas_in_the_code_match_the_published_lock():
    schemas = load_schemas(SchemaRegistry())
    assert differences_from_lock(schemas, EVENTS_LOCK) == []
    unlocked = lock_contents(schemas).keys() - json.loads(EVENTS_LOCK.read_text()).keys()
    changed = {
        key
        for key, schema in lock_contents(schemas).items()
        if json.loads(EVENTS_LOCK.read_text()).get(key, schema) != schema
    }
    assert not unlocked | changed, "run `flask --app wsgi events lock` to publish these"


def test_a_version_leaves_the_registry_only_after_it_was_deprecated(tmp_path):
    lock = tmp_path / "events.lock.json"
    lock.write_text(json.dumps({"task.created.v0": {"type": "object"}}))
    problems = differences_from_lock(load_schemas(SchemaRegistry()), lock)
    assert problems == ["task.created.v0: left the registry without being deprecated first"]


def test_every_example_in_every_schema_is_valid():
    schemas = load_schemas(SchemaRegistry())
    for schema in schemas.schemas():
        assert schema.examples, f"{schema.name} v{schema.version} has no example"
        for example in schema.examples:
            schemas.validate(schema.name, schema.version, example)


def test_every_consumer_accepts_every_version_its_producer_may_send():
    load_domains()
    schemas = load_schemas(SchemaRegistry())
    for consumer in CONSUMERS.values():
        for event_name, (versions, _handler) in consumer.handlers.items():
            known = set(schemas.versions(event_name))
            if consumer.name in {"probe", "bystander"}:
                continue  # the test suite's stand-in consumers of its own probe events
            assert versions <= known, f"{consumer.name} declares unknown {event_name} versions"
            live = {
                s.version
                for s in schemas.schemas()
                if s.name == event_name and not s.schema.get("deprecated")
            }
            assert live <= versions, (
                f"{consumer.name} refuses {event_name} v{sorted(live - versions)}"
            )
