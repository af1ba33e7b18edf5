"""The outbox heals what the broker loses and keeps one dead letter per (consumer, event).

In-process, on the configured backend; the same behaviour against real processes and a real
Redis restarted without its data is in `test_broker_faults.py`.
"""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ates.database import utcnow
from outbox import publish
from outbox.deliveries import settled_already
from outbox.events import Event
from outbox.operations import replay, status
from outbox.publish import publish_events
from outbox.relay import Relay
from outbox.tables import dead_letters, deliveries
from tests.probe import FAIL_ON, effects


@pytest.fixture(autouse=True)
def healthy_probe():
    FAIL_ON.clear()
    yield
    FAIL_ON.clear()


def publish_probe(runtime, value):
    with runtime.db.transaction() as session:
        return publish(
            session, "probe.happened", 1, producer="probe", key="k", data={"value": value}
        )


def probe_values(runtime):
    with runtime.db.transaction() as session:
        return sorted(v for v in session.scalars(sa.select(effects.c.value)) if v > 0)


def letters(runtime):
    with runtime.db.transaction() as session:
        return session.execute(sa.select(dead_letters).order_by(dead_letters.c.id)).all()


def owed(runtime):
    """What the broker still owes: deliveries no inbox row or dead letter has settled."""
    with runtime.db.transaction() as session:
        query = sa.select(deliveries.c.consumer, deliveries.c.event_id)
        return session.execute(query.where(~settled_already(session))).all()


def losing_relay(runtime, **options) -> Relay:
    """A relay whose broker drops every message (Redis restarted without its data)."""
    return Relay(runtime.db, send=lambda consumer, messages: None, **options)


def test_an_event_the_broker_lost_is_sent_again_once_it_is_overdue(runtime, deliver):
    publish_probe(runtime, 1)
    losing_relay(runtime, redeliver_after=timedelta(seconds=0.5)).relay_once()
    deliver()
    assert probe_values(runtime) == [] and len(owed(runtime)) == 2  # probe and bystander
    relay = runtime.relay()
    assert relay.redeliver() == 0  # not due yet (the runtime's redeliver_after is minutes)
    time.sleep(0.6)
    assert relay.redeliver() == 2
    deliver()
    assert probe_values(runtime) == [1] and owed(runtime) == []
    assert set(status(runtime.db).lag_seconds.values()) == {0}


def test_a_consumer_whose_queue_still_holds_messages_is_only_busy_and_gets_nothing_twice(
    runtime,
):
    publish_probe(runtime, 1)
    losing_relay(runtime, redeliver_after=timedelta(0)).relay_once()
    sent = []
    busy = Relay(
        runtime.db,
        send=lambda consumer, messages: sent.append(consumer),
        redeliver_after=timedelta(0),
        waiting=lambda consumer: 1 if consumer == "probe" else 0,
    )
    assert busy.redeliver() == 1 and sent == ["bystander"]


def test_handled_events_are_owed_to_nobody(runtime, deliver):
    for value in range(1, 31):
        publish_probe(runtime, value)
    deliver()
    assert owed(runtime) == [] and letters(runtime) == []
    assert set(status(runtime.db).lag_seconds.values()) == {0}


def test_an_event_nobody_subscribes_to_is_a_dead_letter_no_consumer(runtime, deliver):
    with runtime.db.transaction() as session:
        publish_events(session, [Event("probe.unheard", 1, "probe", "k", {"value": 1})])
    deliver()
    [letter] = letters(runtime)
    assert (letter.consumer, letter.event_name, letter.error) == (
        "nobody",
        "probe.unheard",
        "no consumer subscribes to this event",
    )
    assert status(runtime.db).dead_letters == {"nobody": 1}


def test_a_poison_event_delivered_again_and_again_is_one_dead_letter_counting_attempts(
    runtime, deliver
):
    FAIL_ON.add(9)
    event = publish_probe(runtime, 9)
    deliver()
    [first] = letters(runtime)
    for _ in range(3):  # the broker delivers it again, as after a restart or a resend
        runtime.send("probe", [event.to_message()])
        deliver()
    [letter] = letters(runtime)
    assert (letter.id, letter.event_id) == (first.id, event.event_id)
    assert letter.attempts > first.attempts > 1
    assert "probe refuses 9" in letter.error
    FAIL_ON.clear()
    assert replay(runtime.db, runtime.send, consumer="probe") == 1
    deliver()
    assert probe_values(runtime) == [9] and status(runtime.db).dead_letters == {}


def test_a_delivery_settled_before_the_relay_committed_it_is_not_sent_again(runtime, deliver):
    FAIL_ON.add(4)
    handled, buried = publish_probe(runtime, 3), publish_probe(runtime, 4)
    deliver()
    # A fast consumer settled both before the relay's commit wrote what it owed.
    with runtime.db.transaction() as session:
        session.execute(sa.delete(deliveries))
        session.execute(
            sa.insert(deliveries),
            [
                {
                    "consumer": "probe",
                    "event_id": event.event_id,
                    "relayed_at": utcnow(),
                    "due_at": utcnow(),
                }
                for event in (handled, buried)
            ],
        )
    assert set(status(runtime.db).lag_seconds.values()) == {0}  # nothing is owed
    sent = []
    relay = Relay(runtime.db, send=lambda consumer, messages: sent.append(messages))
    assert relay.redeliver() == 0 and sent == [] and owed(runtime) == []
