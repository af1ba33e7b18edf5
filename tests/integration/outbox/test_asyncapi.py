"""The AsyncAPI 3.0 document: valid against the official schema, naming every event and consumer."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker

from outbox import registry
from outbox.consumers import CONSUMERS
from outbox.contracts import asyncapi
from outbox.events import Event

OFFICIAL_SCHEMA = json.loads(
    (Path(__file__).parents[2] / "contracts" / "asyncapi-3.0.0.json").read_text()
)


def errors(document: dict) -> list[str]:
    validator = Draft7Validator(OFFICIAL_SCHEMA)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def resolve(document: dict, ref: str):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.fixture
def document(client, login_as) -> dict:
    login_as("admin")
    response = client.get("/events/asyncapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_served_document_is_valid_asyncapi_3(document):
    assert document["asyncapi"] == "3.0.0"
    assert errors(document) == []


def test_the_official_schema_refuses_a_broken_document(document):
    broken = json.loads(json.dumps(document))
    operation = next(iter(broken["operations"].values()))
    operation["action"] = "publish"  # AsyncAPI 2's word, gone in 3
    del broken["info"]["version"]
    assert len(errors(broken)) >= 2


def test_every_event_version_producer_and_consumer_is_named(document):
    for schema in registry.schemas():
        channel = document["channels"][schema.name]
        message = channel["messages"][f"v{schema.version}"]
        assert message["name"] == f"{schema.name}.v{schema.version}"
        assert message["payload"]["schema"]["$defs"]["data"]["properties"] == schema.schema.get(
            "properties"
        )
        assert message.get("deprecated", False) == bool(schema.schema.get("deprecated"))
        send = document["operations"][f"{schema.producer}.send.{schema.name}"]
        assert send["action"] == "send"
    for consumer in CONSUMERS.values():
        for name, (versions, _fn) in consumer.handlers.items():
            receive = document["operations"][f"{consumer.name}.receive.{name}"]
            assert receive["action"] == "receive"
            assert receive["messages"] == [
                {"$ref": f"#/channels/{name}/messages/v{v}"} for v in sorted(versions)
            ]
    assert "probe.receive.probe.happened" in document["operations"]
    assert "bystander.receive.probe.happened" in document["operations"]


def test_every_reference_resolves_to_a_message_of_the_operations_channel(document):
    for operation in document["operations"].values():
        channel = resolve(document, operation["channel"]["$ref"])
        for ref in operation["messages"]:
            assert resolve(document, ref["$ref"]) in channel["messages"].values()


def test_every_payload_is_json_schema_2020_12_and_its_example_a_real_message(document):
    for name, channel in document["channels"].items():
        for message in channel["messages"].values():
            payload = message["payload"]
            assert payload["schemaFormat"] == asyncapi.SCHEMA_FORMAT
            Draft202012Validator.check_schema(payload["schema"])
            validator = Draft202012Validator(payload["schema"], format_checker=FormatChecker())
            for example in message.get("examples", []):
                assert list(validator.iter_errors(example["payload"])) == [], message["name"]
                event = Event.from_message(example["payload"])
                registry.validate(name, event.event_version, event.data)
            wrong = {"event_name": "other.event", "data": {}}
            assert list(validator.iter_errors(wrong)), message["name"]


def test_the_catalog_page_links_to_the_document(client, login_as):
    login_as("admin")
    page = client.get("/events").get_data(as_text=True)
    assert 'href="/events/asyncapi.json"' in page


def test_a_consumer_registered_later_appears_without_edits(client, login_as, monkeypatch):
    from outbox.consumers import Consumer

    newcomer = Consumer("newcomer")
    newcomer.handles("task.completed", versions=(1,))(lambda session, event: None)
    monkeypatch.setitem(CONSUMERS, "newcomer", newcomer)
    login_as("admin")
    document = client.get("/events/asyncapi.json").get_json()
    assert errors(document) == []
    assert document["operations"]["newcomer.receive.task.completed"]["messages"] == [
        {"$ref": "#/channels/task.completed/messages/v1"}
    ]
    page = client.get("/events").get_data(as_text=True)
    section = page.split('<section class="event" id="event-task.completed"', 1)[1]
    assert "<tr><td>newcomer</td>" in section.split("</section>", 1)[0]
