"""One database for every domain, one schema per domain.

PostgreSQL: each domain's tables live in a real schema (`auth`, `tracker`, ...).
SQLite: all schemas map to the one main database file (`schema_translate_map`), so a domain's
write and its outbox rows always share one file and commit atomically. Attaching one file per
schema would look closer to PostgreSQL, but SQLite commits across attached files atomically only
without WAL, and WAL is what lets the web app read while the workers write. The price is that
table names must be unique across domains; `tests/unit/test_tables.py` guards that.
"""

import hashlib
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ates.backend import BACKENDS

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC in and out, also on SQLite, which stores no offset."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use an aware UTC time")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# Zero except while the demo company's past week is written (`set_clock`).
_clock_shift = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _clock_shift


def set_clock(moment: datetime | None) -> None:
    """Make every `utcnow()` of this process read as `moment` from now on (None: the real time).

    Only the demo history uses it: the real commands and consumers then write a week of past
    tasks, entries, closes and e-mails at the times they claim, with nothing faked around them.
    """
    global _clock_shift
    _clock_shift = timedelta(0) if moment is None else moment - datetime.now(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# A pooled connection used this recently is taken as alive; one idle longer is pinged first.
IDLE_BEFORE_PING_SECONDS = 1.0


def ping_when_idle(engine: sa.Engine) -> None:
    """Ping a pooled connection at checkout only when it has sat idle (a database restarted while
    it waited). Pinging every checkout (`pool_pre_ping`) cost a round trip per transaction: a
    fifth of a worker's time on one-event deliveries. A busy connection that dies anyway fails
    its transaction, which `outbox.transient.retrying` runs again on a fresh one."""

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since", float("-inf"))
        if time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool throws this connection away and checks out another.
            raise sa.exc.DisconnectionError(str(error)) from error


def make_engine(url: str, schemas: Iterable[str], **kwargs) -> sa.Engine:
    """The engine of one process; `schemas` are the schema names, mapped to SQLite's one file."""
    if not is_sqlite(url):
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        # No server-side prepared statements: every statement is planned for its actual values
        # (a generic plan cannot tell a rare status from a common one), and preparing did not
        # make the pages' small queries faster when measured.
        kwargs.setdefault("connect_args", {"prepare_threshold": None})
        engine = sa.create_engine(url, **kwargs)
        ping_when_idle(engine)
        return engine
    engine = sa.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, open transactions (see `_begin`).
        dbapi_connection.isolation_level = None
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=30000",
            "synchronous=NORMAL",
            "analysis_limit=1000",  # ANALYZE samples: milliseconds at any size
        ):
            dbapi_connection.execute(f"PRAGMA {pragma}")
        # PostgreSQL's md5() and gen_random_uuid(), so ids made in SQL are made the same way here.
        dbapi_connection.create_function("md5", 1, _md5, deterministic=True)
        dbapi_connection.create_function("gen_random_uuid", 0, _random_uuid)

    @event.listens_for(engine, "begin")
    def _begin(connection):
        if connection.get_execution_options().get("read_only"):
            # In WAL a reader neither waits for the writer nor holds it up.
            connection.exec_driver_sql("BEGIN")
        else:
            # Take the write lock up front: a deferred transaction that later writes fails at
            # once with "database is locked" instead of waiting for the busy timeout.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine.execution_options(schema_translate_map=dict.fromkeys(schemas))


def _random_uuid() -> str:
    return uuid.uuid4().hex  # how SQLite stores a UUID column: 32 hex digits


def _md5(text: str | None) -> str | None:
    return None if text is None else hashlib.md5(text.encode()).hexdigest()


_WRITERS: dict[str, threading.RLock] = {}


def _writer_of(url: str) -> threading.RLock:
    """The lock this process's writers of one SQLite file queue on.

    SQLite has one writer; a thread that finds the write lock taken sleeps in the driver's busy
    handler (1, 2, 5, 10, ... ms) and polls again, so the embedded default's relay and workers
    lost ~15 ms an event waiting for each other. Queued here, the next writer starts the moment
    the last one commits. Another process still meets the busy handler.
    """
    return _WRITERS.setdefault(url, threading.RLock())


class ReadOnly(Exception):
    """A write was tried in the read-only unit of work."""


def _refuse_writes(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnly(f"a write in a read-only unit of work: {state.statement}")


class Database:
    """The engine and session factory of one process."""

    def __init__(self, url: str, schemas: Iterable[str], **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, schemas, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.backend = BACKENDS[self.engine.dialect.name]
        self._writer = _writer_of(url) if self.is_sqlite else nullcontext()

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        with self._writer, self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[Session]:
        """The read-only unit of work of every page, report and status; it refuses to write.

        SQLite: a deferred transaction that never queues for the write lock. PostgreSQL:
        autocommit, no BEGIN and COMMIT round trips, each statement sees the latest committed
        data (a page's count and rows may be a moment apart); with `snapshot`, one read-only
        transaction sees one moment throughout (a report streamed over many statements).
        """
        options = self.backend.snapshot_options if snapshot else self.backend.reading_options
        with Session(self.engine.execution_options(**options)) as session:
            sa.event.listen(session, "do_orm_execute", _refuse_writes)
            with session.begin():
                yield session

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.reading() as session:
            session.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
