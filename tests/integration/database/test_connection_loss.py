"""A database that drops connections (a restart, an operator's pg_terminate_backend) costs no
failed request or delivery: idle pooled connections are pinged before use, and a busy one lost
mid-transaction makes `retrying` run the transaction again on a fresh connection."""

import pytest
import sqlalchemy as sa

import ates.database
from ates.bootstrap import open_database
from outbox.transient import retrying


@pytest.fixture
def db(runtime):
    if runtime.db.is_sqlite:
        pytest.skip("SQLite has no server to drop a connection")
    db = open_database(runtime.settings.database_url, pool_size=1, max_overflow=0)
    yield db
    db.dispose()


def backend_pid(db) -> int:
    with db.transaction() as session:
        return session.scalar(sa.select(sa.func.pg_backend_pid()))


def terminate(runtime, pid: int) -> None:
    with runtime.db.transaction() as session:
        assert session.scalar(sa.select(sa.func.pg_terminate_backend(pid)))


@pytest.fixture
def pings(db, monkeypatch):
    """How many times the pool pinged a connection before handing it out."""
    count = []
    ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: count.append(1) or ping(conn))
    return count


def test_a_connection_dropped_while_idle_is_replaced_before_use(runtime, db, monkeypatch):
    first = backend_pid(db)
    terminate(runtime, first)
    monkeypatch.setattr(ates.database, "IDLE_BEFORE_PING_SECONDS", 0.0)
    assert backend_pid(db) != first  # no error: the ping found it dead and the pool reconnected


def test_connections_in_steady_use_are_not_pinged_and_idle_ones_are(db, pings, monkeypatch):
    for _ in range(20):
        backend_pid(db)
    assert pings == []
    monkeypatch.setattr(ates.database, "IDLE_BEFORE_PING_SECONDS", 0.0)
    backend_pid(db)
    assert pings == [1]


def test_a_transaction_whose_connection_is_lost_midway_runs_again_whole(runtime, db):
    attempts = []

    def work() -> int:
        with db.transaction() as session:
            pid = session.scalar(sa.select(sa.func.pg_backend_pid()))
            attempts.append(pid)
            if len(attempts) == 1:
                terminate(runtime, pid)  # the database drops it while the transaction is open
            return session.scalar(sa.select(sa.literal(7)))

    assert retrying(work, "a test transaction") == 7
    assert len(attempts) == 2 and attempts[0] != attempts[1]
