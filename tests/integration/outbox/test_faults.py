"""Faults survived with nothing lost and nothing doubled: a killed worker, a relay that dies
between send and mark, and the broker stopped (its data lost) while events keep being published.

These run on both backends against a broker server of the test's own (the database is the
session's, SQLite or PostgreSQL), so stopping it disturbs nobody else: Redis, or RabbitMQ when
the session runs on RabbitMQ (`make test-rabbitmq`).
"""

import threading
import time

import dramatiq
import pytest
import sqlalchemy as sa

from outbox import publish
from outbox.consumers import subscribers
from outbox.operations import status
from outbox.relay import Relay
from tests.probe import effects
from tests.processes import (
    app_environment,
    dramatiq_worker,
    kill,
    process,
    wait_until,
)


@pytest.fixture
def broker_relay(private_runtime):
    """A relay that sends to the private broker (the session's broker stays untouched)."""
    relay = Relay(private_runtime.db, private_runtime.send, batch_size=20)
    return private_runtime.settings, private_runtime.broker, relay


def publish_probes(runtime, values):
    with runtime.db.transaction() as session:
        for value in values:
            publish(
                session,
                "probe.happened",
                1,
                producer="probe",
                key=str(value),
                data={"value": value},
            )


def effect_count(runtime) -> int:
    with runtime.db.reading() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(effects))


def probe_effect_count(runtime) -> int:
    with runtime.db.reading() as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(effects).where(effects.c.value > 0)
        )


def doubled_effects(runtime) -> list:
    with runtime.db.transaction() as session:
        return session.execute(
            sa.select(effects.c.event_id, effects.c.value)
            .group_by(effects.c.event_id, effects.c.value)
            .having(sa.func.count() > 1)
        ).all()


def test_a_worker_killed_mid_work_has_its_events_handled_once_after_restart(
    runtime, broker_relay, tmp_path
):
    settings, _broker, relay = broker_relay
    publish_probes(runtime, range(1, 201))
    relay.drain()
    # 200 probe events in deliveries of 20, each event 0.1 s: a delivery commits every ~2 s.
    env = app_environment(settings, PROBE_DELAY_MS=100)
    worker_args = dramatiq_worker("tests.probe.worker", threads=4)
    with process(worker_args, env, tmp_path / "worker-1.log") as first:
        wait_until(lambda: probe_effect_count(runtime) >= 20, 60, "the first worker's progress")
        kill(first)  # SIGKILL: no goodbye, its fetched messages stay unacknowledged
    killed_at = time.monotonic()
    assert probe_effect_count(runtime) < 200
    with process(worker_args, env, tmp_path / "worker-2.log"):
        wait_until(lambda: effect_count(runtime) == 400, 90, "recovery after the kill", 0.2)
        recovery = time.monotonic() - killed_at
    assert doubled_effects(runtime) == []
    print(f"\nworker killed mid-work: every event handled {recovery:.1f} s after the kill")


def test_a_relay_that_dies_between_send_and_mark_resends_harmlessly(runtime, deliver):
    publish_probes(runtime, range(1, 6))
    relay, sent = runtime.relay(), []

    def send_then_die(consumer_name, messages):
        relay_send(consumer_name, messages)
        sent.append(consumer_name)
        if len(sent) == len(subscribers("probe.happened")):
            raise SystemExit("relay killed after sending, before its commit")

    relay_send, relay.send = relay.send, send_then_die
    with pytest.raises(SystemExit):
        relay.relay_once()
    assert status(runtime.db).pending == 5  # the batch is still pending, and was sent once
    deliver()  # sends the same events again
    assert effect_count(runtime) == 10 and doubled_effects(runtime) == []


def test_events_wait_in_the_outbox_while_the_broker_is_down_and_flow_when_it_is_back(
    runtime, broker_relay, private_broker
):
    _settings, broker, relay = broker_relay
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    stop = threading.Event()
    relaying = threading.Thread(target=relay.run, args=(stop, runtime.retention), daemon=True)
    relaying.start()
    try:
        publish_probes(runtime, [1])
        wait_until(lambda: effect_count(runtime) == 2, 30, "delivery while the broker is up")
        private_broker.stop()
        publish_probes(runtime, range(2, 12))  # writes keep working without the broker
        time.sleep(1)
        assert status(runtime.db).pending == 10
        private_broker.start()
        wait_until(lambda: effect_count(runtime) == 22, 60, "delivery after the broker is back")
    finally:
        stop.set()
        relaying.join(10)
        worker.stop()
    assert doubled_effects(runtime) == [] and status(runtime.db).pending == 0
