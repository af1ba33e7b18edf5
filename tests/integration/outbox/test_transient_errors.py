"""A deadlock, a serialization failure or a busy SQLite file is not a bad event: the batch that
met it runs again whole, and never slides into event-by-event savepoints or a dead letter."""

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from outbox import Event, consumers
from outbox.consumers import apply_batch
from outbox.tables import dead_letters, inbox
from outbox.transient import is_transient
from tests.probe import effects


class Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg reports for PostgreSQL's "deadlock detected"


def deadlock() -> OperationalError:
    return OperationalError("UPDATE accounting.ledger_accounts ...", {}, Deadlock())


def probe_messages(*values: int) -> list[dict]:
    return [Event("probe.happened", 1, "probe", str(v), {"value": v}).to_message() for v in values]


@pytest.fixture
def probe_deadlocks(monkeypatch):
    """The probe consumer's handler, meeting a deadlock on its first `times` calls."""
    versions, record = consumers.CONSUMERS["probe"].handlers["probe.happened"]
    calls = []

    def deadlocking(times: int):
        def handle(session, event):
            calls.append(event.data["value"])
            if len(calls) <= times:
                record(session, event)  # a write of the attempt, rolled back with it
                raise deadlock()
            record(session, event)

        monkeypatch.setitem(
            consumers.CONSUMERS["probe"].handlers, "probe.happened", (versions, handle)
        )
        return calls

    def never_one_by_one(*_args):
        raise AssertionError("a transient error slid into event-by-event mode")

    monkeypatch.setattr(consumers, "_apply_one_by_one", never_one_by_one)
    monkeypatch.setattr("outbox.transient.FIRST_PAUSE_SECONDS", 0.001)
    return deadlocking


def stored(runtime, table) -> list:
    with runtime.db.reading() as session:
        return session.execute(sa.select(table)).all()


def test_a_deadlocked_batch_runs_again_whole_and_applies_each_event_once(runtime, probe_deadlocks):
    calls = probe_deadlocks(times=2)

    outcome = apply_batch(runtime.db, "probe", probe_messages(1, 2, 3))

    assert (outcome.applied, outcome.failed) == (3, [])
    assert calls == [1, 1, 1, 2, 3]  # two attempts stopped at the first event, the third went on
    assert sorted(row.value for row in stored(runtime, effects)) == [1, 2, 3]
    assert len(stored(runtime, inbox)) == 3 and stored(runtime, dead_letters) == []


def test_a_batch_still_deadlocked_after_its_attempts_goes_back_to_the_broker_whole(
    runtime, probe_deadlocks
):
    probe_deadlocks(times=1_000)

    with pytest.raises(OperationalError) as raised:
        apply_batch(runtime.db, "probe", probe_messages(1, 2))

    assert is_transient(raised.value)  # the actor raises it, so Dramatiq retries the delivery
    assert stored(runtime, effects) == [] and stored(runtime, inbox) == []
    assert stored(runtime, dead_letters) == []


def test_transient_errors_are_told_from_bad_events():
    class SerializationFailure(Exception):
        sqlstate = "40001"

    class UniqueViolation(Exception):
        sqlstate = "23505"

    def wrapped(orig):
        return OperationalError("statement", {}, orig)

    assert is_transient(wrapped(Deadlock()))
    assert is_transient(wrapped(SerializationFailure()))
    assert is_transient(wrapped(sqlite3.OperationalError("database is locked")))
    assert not is_transient(wrapped(UniqueViolation()))
    assert not is_transient(wrapped(sqlite3.OperationalError("no such table: ledger")))
    assert not is_transient(RuntimeError("probe refuses 2"))
