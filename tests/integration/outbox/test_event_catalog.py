"""The event catalog: generated from the registry and the consumers, with live figures."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from ates.database import utcnow
from outbox import publish, registry
from outbox.consumers import CONSUMERS
from outbox.contracts.catalog import entries, live_figures
from outbox.tables import event_archive
from tests.probe import FAIL_ON


@pytest.fixture(autouse=True)
def healthy_probe():
    FAIL_ON.clear()
    yield
    FAIL_ON.clear()


def publish_probe(runtime, value, version=1):
    data = {"value": value} | ({"note": "n"} if version == 2 else {})
    with runtime.db.transaction() as session:
        return publish(session, "probe.happened", version, producer="probe", key="k", data=data)


def sections(page: str) -> dict[str, str]:
    """Each event's section of the catalog page, by event name."""
    parts = page.split('<section class="event" id="event-')[1:]
    return {part.split('"', 1)[0]: part.split("</section>", 1)[0] for part in parts}


def summary_row(page: str, name: str) -> str:
    return page.split(f'<tr id="summary-{name}">', 1)[1].split("</tr>", 1)[0]


def test_the_catalog_lists_every_event_version_producer_and_consumer(client, login_as):
    login_as("admin")
    response = client.get("/events")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    by_event = sections(page)
    schemas = registry.schemas()
    assert {s.name for s in schemas} <= by_event.keys()
    assert "probe.happened" in by_event and "task.created" in by_event
    for schema in schemas:
        section = by_event[schema.name]
        assert f'id="event-{schema.name}-v{schema.version}"' in section, schema.name
        assert f'<strong class="producer">{schema.producer}</strong>' in section
    for consumer in CONSUMERS.values():
        for name, (versions, _fn) in consumer.handlers.items():
            row = by_event[name].split(f"<tr><td>{consumer.name}</td>", 1)[1].split("</tr>")[0]
            for version in versions:
                assert f"v{version}" in row, (consumer.name, name, version)
    probe = by_event["probe.happened"]
    assert "Accepted by: bystander, probe" in probe
    assert "&#34;minimum&#34;: 0" in probe or '"minimum": 0' in probe  # the schema, pretty
    assert "&#34;note&#34;: &#34;hello&#34;" in probe or '"note": "hello"' in probe  # example
    assert 'href="/events/asyncapi.json"' in page


def test_a_deprecated_version_is_marked(client, login_as):
    login_as("admin")
    page = client.get("/events").get_data(as_text=True)
    task_created = sections(page)["task.created"]
    v1 = task_created.split('id="event-task.created-v1"', 1)[1].split("</article>", 1)[0]
    v2 = task_created.split('id="event-task.created-v2"', 1)[1].split("</article>", 1)[0]
    assert 'class="deprecated"' in v1 and 'class="deprecated"' not in v2


def test_a_consumer_of_an_event_the_registry_does_not_know_is_shown_as_such():
    from outbox.consumers import Consumer

    stray = Consumer("stray")
    stray.handlers["ghost.appeared"] = (frozenset({1}), lambda session, event: None)
    stray.handlers["probe.happened"] = (frozenset({1, 7}), lambda session, event: None)
    catalog = {e.name: e for e in entries(consumers={"stray": stray})}
    ghost = catalog["ghost.appeared"]
    assert ghost.producer is None and not ghost.registered and ghost.consumers == {"stray": [1]}
    assert catalog["probe.happened"].unknown_versions("stray") == [7]
    assert [v.consumers for v in catalog["probe.happened"].versions] == [["stray"], []]


def test_live_figures_count_published_today_pending_and_dead_letters(
    client, login_as, runtime, deliver
):
    login_as("admin")
    FAIL_ON.add(2)
    for value in (1, 2, 3):
        publish_probe(runtime, value)
    deliver()  # 3 relayed into the archive, value 2 dead-lettered by the probe consumer
    publish_probe(runtime, 4)
    publish_probe(runtime, 5, version=2)  # 2 pending
    with runtime.db.transaction() as session:
        figures = live_figures(session, utcnow().date(), "UTC")
    assert figures["probe.happened"].published_today == 5
    assert figures["probe.happened"].pending == 2
    assert figures["probe.happened"].dead_lettered == 1
    row = summary_row(client.get("/events").get_data(as_text=True), "probe.happened")
    assert '<td class="published-today">5</td>' in row
    assert '<td class="pending">2</td>' in row
    assert '<td class="dead-lettered">1</td>' in row


def _archived(runtime, event_time: datetime, name: str = "probe.happened") -> None:
    with runtime.db.transaction() as session:
        session.execute(
            sa.insert(event_archive).values(
                event_id=str(uuid.uuid4()),
                event_name=name,
                event_version=1,
                event_time=event_time,
                producer="probe",
                key="k",
                data={"value": 1},
                relayed_at=event_time + timedelta(seconds=1),
            )
        )


def test_today_is_the_calendar_day_of_the_company_time_zone(runtime):
    # 3 March in Moscow (UTC+3) runs from 2 March 21:00 to 3 March 21:00 UTC.
    for moment in (
        datetime(2026, 3, 2, 20, 59, 59, tzinfo=UTC),  # still 2 March in Moscow
        datetime(2026, 3, 2, 21, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 3, 20, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 3, 21, 0, 0, tzinfo=UTC),  # already 4 March
    ):
        _archived(runtime, moment)
    with runtime.db.transaction() as session:
        moscow = live_figures(session, date(2026, 3, 3), "Europe/Moscow")
        utc = live_figures(session, date(2026, 3, 3), "UTC")
    assert moscow["probe.happened"].published_today == 2
    assert utc["probe.happened"].published_today == 2
    with runtime.db.transaction() as session:
        on_2_march = live_figures(session, date(2026, 3, 2), "UTC")
        on_4_march_in_moscow = live_figures(session, date(2026, 3, 4), "Europe/Moscow")
        on_5_march = live_figures(session, date(2026, 3, 5), "UTC")
    assert on_2_march["probe.happened"].published_today == 2
    assert on_4_march_in_moscow["probe.happened"].published_today == 1
    assert on_5_march == {}


def test_an_event_only_the_archive_remembers_still_appears_with_its_figures(runtime):
    _archived(runtime, utcnow(), name="retired.event")
    with runtime.db.transaction() as session:
        figures = live_figures(session, utcnow().date(), "UTC")
    [retired] = [e for e in entries(figures=figures) if e.name == "retired.event"]
    assert retired.figures.published_today == 1 and retired.producer is None
