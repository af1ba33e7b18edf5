"""The transactional outbox, end to end on the configured backend."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ates.database import utcnow
from outbox import InvalidEvent, publish
from outbox.events import Event
from outbox.operations import replay, status
from outbox.relay import Relay
from outbox.tables import dead_letters, event_archive, events, inbox
from tests.probe import BULK_SIZES, FAIL_ON, effects


def publish_probe(runtime, value, version=1, **extra):
    data = {"value": value} | ({"note": "n"} if version == 2 else {}) | extra
    with runtime.db.transaction() as session:
        return publish(session, "probe.happened", version, producer="probe", key="k", data=data)


def effect_values(runtime, sign=1):
    with runtime.db.transaction() as session:
        values = session.scalars(sa.select(effects.c.value)).all()
    return sorted(v * sign for v in values if v * sign >= 0)


def dead(runtime):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(dead_letters).order_by(dead_letters.c.id)).all()


@pytest.fixture(autouse=True)
def healthy_probe():
    FAIL_ON.clear()
    yield
    FAIL_ON.clear()


def test_a_committed_write_always_has_its_event(runtime):
    with runtime.db.transaction() as session:
        event = publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": 7})
    with runtime.db.transaction() as session:
        row = session.execute(sa.select(events)).one()
    assert (str(row.event_id), row.event_name, row.event_version, row.data) == (
        event.event_id,
        "probe.happened",
        1,
        {"value": 7},
    )
    assert row.relayed_at is None and row.producer == "probe" and row.key == "k"


def test_a_rolled_back_write_leaves_no_event(runtime):
    with pytest.raises(RuntimeError), runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": 7})
        raise RuntimeError("the domain write failed")
    assert status(runtime.db).pending == 0


def test_an_event_that_fails_its_schema_raises_before_commit(runtime):
    with pytest.raises(InvalidEvent, match="value"), runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": -1})
    with (
        pytest.raises(InvalidEvent, match="not in the schema registry"),
        runtime.db.transaction() as session,
    ):
        publish(session, "probe.happened", 9, producer="probe", key="k", data={"value": 1})
    assert status(runtime.db).pending == 0


def test_each_consumer_applies_each_event_once_however_often_it_is_delivered(runtime, deliver):
    for value in (1, 2, 3):
        publish_probe(runtime, value)
    deliver()
    runtime.relay().resend(utcnow() - timedelta(hours=1))  # the broker "lost" everything
    runtime.relay().resend(utcnow() - timedelta(hours=1))
    deliver()
    assert effect_values(runtime) == [1, 2, 3]
    assert effect_values(runtime, sign=-1) == [1, 2, 3]  # the bystander too
    with runtime.db.transaction() as session:
        handled = Counter(session.scalars(sa.select(inbox.c.consumer)))
    assert handled == {"probe": 3, "bystander": 3}
    assert status(runtime.db).pending == 0


def test_both_versions_a_consumer_declares_are_accepted(runtime, deliver):
    publish_probe(runtime, 1, version=1)
    publish_probe(runtime, 2, version=2)
    deliver()
    assert effect_values(runtime) == [1, 2]


def test_two_relays_in_parallel_send_each_event_once_per_consumer(runtime):
    with runtime.db.transaction() as session:
        for value in range(1, 601):
            publish(
                session,
                "probe.happened",
                1,
                producer="probe",
                key=str(value),
                data={"value": value},
            )
    sent = Counter()
    lock = threading.Lock()

    def send(consumer_name, messages):
        with lock:
            sent.update((consumer_name, m["event_id"]) for m in messages)

    relays = [Relay(runtime.db, send, batch_size=50) for _ in range(2)]
    threads = [threading.Thread(target=relay.drain) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 1200 and set(sent.values()) == {1}


def test_a_failing_consumer_is_retried_then_dead_lettered_and_others_flow(runtime, deliver):
    FAIL_ON.add(2)
    for value in (1, 2, 3):
        publish_probe(runtime, value)
    deliver()
    assert effect_values(runtime) == [1, 3]
    assert effect_values(runtime, sign=-1) == [1, 2, 3]  # the bystander is not held up
    [letter] = dead(runtime)
    assert letter.consumer == "probe" and letter.message["data"] == {"value": 2}
    assert "retries exhausted" in letter.error and "probe refuses 2" in letter.error
    assert status(runtime.db).dead_letters == {"probe": 1}


def test_a_dead_letter_is_replayed_once_the_cause_is_fixed(runtime, deliver):
    FAIL_ON.add(5)
    publish_probe(runtime, 5)
    deliver()
    assert effect_values(runtime) == []
    FAIL_ON.clear()
    [letter] = dead(runtime)
    assert replay(runtime.db, runtime.send, dead_letter_id=letter.id) == 1
    deliver()
    assert effect_values(runtime) == [5]
    assert status(runtime.db).dead_letters == {}
    assert replay(runtime.db, runtime.send, dead_letter_id=letter.id) == 0


def test_invalid_and_unknown_events_are_dead_lettered_with_a_readable_reason(runtime, deliver):
    good = Event("probe.happened", 1, "probe", "k", {"value": 1}).to_message()
    bad_data = Event("probe.happened", 1, "probe", "k", {"value": "lots"}).to_message()
    unknown_version = Event("probe.happened", 9, "probe", "k", {"value": 1}).to_message()
    unknown_name = Event("probe.vanished", 1, "probe", "k", {}).to_message()
    no_envelope = {"event_name": "probe.happened"}
    runtime.send("probe", [bad_data, unknown_version, good, unknown_name, no_envelope])
    deliver()
    assert effect_values(runtime) == [1]
    reasons = sorted(letter.error for letter in dead(runtime))
    assert reasons == sorted(
        [
            'probe.happened v1: value: "lots" is not of type "integer"',
            "probe accepts probe.happened v1, v2, not v9",
            "probe does not handle probe.vanished",
            "envelope lacks data, event_id, event_time, event_version, key, producer",
        ]
    )


def test_a_bulk_handler_gets_a_whole_delivery_at_once(runtime, deliver):
    BULK_SIZES.clear()
    with runtime.db.transaction() as session:
        for value in range(1, 301):
            publish(
                session,
                "probe.happened",
                1,
                producer="probe",
                key=str(value),
                data={"value": value},
            )
    deliver()
    assert BULK_SIZES == [300]
    assert effect_values(runtime, sign=-1) == list(range(1, 301))


def test_one_bad_event_in_a_batch_does_not_sink_the_others(runtime, deliver):
    FAIL_ON.add(50)
    with runtime.db.transaction() as session:
        for value in range(1, 101):
            publish(
                session,
                "probe.happened",
                1,
                producer="probe",
                key=str(value),
                data={"value": value},
            )
    deliver()
    assert effect_values(runtime) == [v for v in range(1, 101) if v != 50]
    assert [letter.message["data"]["value"] for letter in dead(runtime)] == [50]


def test_the_embedded_default_resends_what_the_lost_in_memory_broker_held(runtime, deliver):
    publish_probe(runtime, 1)
    deliver()
    publish_probe(runtime, 2)
    # Relayed into an in-memory broker that then died with the process, unhandled.
    Relay(runtime.db, send=lambda consumer_name, messages: None).relay_once()
    resent = runtime.relay().redeliver(everything=True)
    assert resent == 2  # event 2, once for each consumer; event 1 was handled already
    deliver()
    assert effect_values(runtime) == [1, 2]


def test_relayed_events_leave_the_work_queue_after_retention_but_stay_in_the_archive(
    runtime, deliver
):
    event = publish_probe(runtime, 1)
    deliver()
    relay = runtime.relay()
    assert relay.clean_up(timedelta(days=1)) == 0
    assert relay.clean_up(timedelta(seconds=-1)) == 1
    with runtime.db.transaction() as session:
        archived = session.execute(sa.select(event_archive)).one()
    assert (str(archived.event_id), archived.data, archived.event_time) == (
        event.event_id,
        {"value": 1},
        event.event_time,
    )


def test_status_reports_pending_events_and_the_age_of_the_oldest(runtime):
    figures = status(runtime.db).as_dict()
    assert (figures["pending"], figures["oldest_pending_age_seconds"]) == (0, None)
    assert figures["dead_letters"] == {} and set(figures["lag_seconds"].values()) == {0}
    publish_probe(runtime, 1)
    figures = status(runtime.db)
    assert figures.pending == 1 and 0 <= figures.oldest_pending_age_seconds < 60
