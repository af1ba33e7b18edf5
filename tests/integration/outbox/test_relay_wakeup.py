"""The relay wakes when a publishing transaction commits, and still polls for what it missed."""

import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from outbox import publish
from outbox.relay import QUIET_SECONDS, Relay
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


def test_the_relays_chores_wait_for_a_quiet_moment_but_not_for_ever(runtime):
    """Redelivery (with the cleanup and the checkpoint) run right after a batch held the write
    lock while that batch's consumers waited for it: a click every fifth second was slower."""
    sent, chores = [], []
    relay = Relay(
        runtime.db,
        lambda consumer, messages: sent.append(time.monotonic()),
        redeliver_after=timedelta(seconds=2),  # a chore every half second
    )
    redeliver = relay.redeliver

    def redeliver_noted():
        chores.append(time.monotonic())
        return redeliver()

    relay.redeliver = redeliver_noted
    with running(relay, runtime):
        wait_until(lambda: chores, 10, "the chores of the relay's start")
        for value in range(12):  # clicks 0.1 s apart: a quiet moment between any two
            publish_probe(runtime, value)
            time.sleep(0.1)
        clicks_done = time.monotonic()
        while time.monotonic() - clicks_done < 2.5:  # then a steady stream, no quiet moment
            publish_probe(runtime, 0)
            time.sleep(0.005)
        stream_done = time.monotonic()
    during_clicks = [at for at in chores if sent[0] < at < clicks_done]
    assert len(during_clicks) >= 2
    for at in during_clicks:
        last_send = max(t for t in sent if t < at)
        assert at - last_send >= QUIET_SECONDS * 0.9, "a chore ran right after a batch"
    assert [at for at in chores if clicks_done + 0.2 < at < stream_done], "chores never ran"


def test_a_quiet_relay_copies_sqlites_log_into_the_database_file(runtime, tmp_path):
    """Otherwise the commit that grows the log past 1,000 pages copies it while a click waits;
    and a copy of the database file alone holds what was committed seconds ago."""
    if not runtime.db.is_sqlite:
        pytest.skip("PostgreSQL's checkpointer is a process of its own")
    database_file = sa.make_url(runtime.db.url).database
    relay = Relay(runtime.db, lambda consumer, messages: None, redeliver_after=timedelta(seconds=2))

    def in_the_file_alone(value: int) -> bool:
        shutil.copyfile(database_file, tmp_path / "copy.sqlite3")  # without its -wal
        with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
            data = [row[0] for row in copy.execute("SELECT data FROM events")]
        return any(f'"value": {value}' in text for text in data)

    with runtime.db.engine.connect() as connection:  # an empty log: no commit below copies it
        connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    publish_probe(runtime, 41_215)
    assert not in_the_file_alone(41_215)
    with running(relay, runtime):
        wait_until(lambda: in_the_file_alone(41_215), 10, "the log copied in a quiet moment")


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
