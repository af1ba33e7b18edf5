"""The relay wakes when a publishing transaction commits, and still polls for what it missed."""

import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from outbox import publish
from outbox.relay import Relay
from outbox.tables import events
from outbox.wakeup import Listener, doorbell
from tests.processes import wait_until


def publish_probe(runtime, value):
    with runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": value})


def pending(runtime) -> int:
    with runtime.db.reading() as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(events).where(events.c.relayed_at.is_(None))
        )


@contextmanager
def running(relay, runtime):
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop, runtime.retention), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        doorbell.ring()
        thread.join(70)


def test_an_idle_relay_sends_an_event_as_soon_as_its_transaction_commits(runtime):
    sent = []
    # A poll of a minute: only the wake-up on commit can move the event within the wait below.
    relay = Relay(runtime.db, lambda consumer, messages: sent.extend(messages), poll=60)
    with running(relay, runtime):
        publish_probe(runtime, 1)
        wait_until(lambda: sent, 10, "the relay's first pass")  # it listens, then it scans
        publish_probe(runtime, 2)
        wait_until(lambda: len(sent) == 2, 10, "the relay woken by the commit")
        wait_until(lambda: pending(runtime) == 0, 10, "the relay's mark committed")


def test_a_rolled_back_publication_wakes_nobody_and_leaves_nothing(runtime):
    doorbell.wait(0)
    with pytest.raises(RuntimeError), runtime.db.transaction() as session:
        publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": 2})
        raise RuntimeError("the command failed")
    assert doorbell.wait(0) is False and pending(runtime) == 0


def test_a_missed_wake_up_is_caught_by_the_poll(runtime, monkeypatch):
    sent = []

    class Deaf:
        def listen(self):
            pass

        def wait(self, timeout, stop):
            stop.wait(timeout)
            return False

        def close(self):
            pass

    monkeypatch.setattr("outbox.relay.waiter_for", lambda url: Deaf())
    relay = Relay(runtime.db, lambda consumer, messages: sent.extend(messages), poll=0.2)
    with running(relay, runtime):
        publish_probe(runtime, 3)
        wait_until(lambda: sent, 10, "the poll finding the event")


def test_postgresql_notifies_listening_relays_only_at_commit(runtime):
    if runtime.db.is_sqlite:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite's relay is woken in memory (above)")
    listener = Listener(runtime.settings.database_url)
    try:
        listener.wait(0.01)  # connects and LISTENs
        with runtime.db.transaction() as session:
            publish(session, "probe.happened", 1, producer="probe", key="k", data={"value": 4})
            assert listener.wait(0.3) is False  # not before the commit
        assert listener.wait(5) is True
    finally:
        listener.close()
