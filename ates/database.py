"""One database for every domain, one schema per domain.

PostgreSQL: each domain's tables live in a real schema (`auth`, `tracker`, ...).
SQLite: all schemas map to the one main database file (`schema_translate_map`), so a domain's
write and its outbox rows always share one file and commit atomically. Attaching one file per
schema would look closer to PostgreSQL, but SQLite commits across attached files atomically only
without WAL, and WAL is what lets the web app read while the workers write. The price is that
table names must be unique across domains; `tests/unit/test_tables.py` guards that.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

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


def array_literal(values) -> str:
    """A PostgreSQL array of ids or integers as one text, '{1,2,3}', for `CAST(:p AS type[])`.

    psycopg adapts a Python list element by element in Python (~0.1 ms per 1,000 items); the
    server parses the text at once. Only for values without commas, quotes or braces.
    """
    return "{" + ",".join(str(value) for value in values) + "}"


def pg_array(values, item_type, name: str = "ids"):
    """A PostgreSQL array parameter of ids (integers or UUIDs) sent as one text literal."""
    return sa.cast(sa.bindparam(name, array_literal(values), type_=sa.Text), ARRAY(item_type))


def pg_in(column, values, item_type, name: str = "ids"):
    """`column IN (values)` on PostgreSQL for hundreds of ids: one array literal, parsed once.

    Not `column = ANY(CAST(:ids AS type[]))`: array input is only a stable function, so the
    planner never folds that cast into a constant, and where it applies the condition as a
    filter it parses the whole list again for every row it visits (a consumer's inbox check
    took 7-64 s per batch of 500 that way). `IN (SELECT unnest(...))` parses it once.
    """
    return column.in_(sa.select(sa.func.unnest(pg_array(values, item_type, name))))


def insert(session: Session, table: sa.Table):
    """An INSERT of this session's backend, so it offers ON CONFLICT (PostgreSQL and SQLite)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


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


def make_engine(url: str, schemas: Iterable[str], **kwargs) -> sa.Engine:
    """The engine of one process; `schemas` are the schema names, mapped to SQLite's one file."""
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        # No server-side prepared statements: every statement is planned for its actual values
        # (a generic plan cannot tell a rare status from a common one), and preparing did not
        # make the pages' small queries faster when measured.
        kwargs.setdefault("connect_args", {"prepare_threshold": None})
        return sa.create_engine(url, **kwargs)
    engine = sa.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, open transactions (see `_begin`).
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "synchronous=NORMAL"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

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


class Database:
    """The engine and session factory of one process."""

    def __init__(self, url: str, schemas: Iterable[str], **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, schemas, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """What a page reads. SQLite: a deferred transaction that does not queue for the write
        lock. PostgreSQL: autocommit, no BEGIN and COMMIT round trips; each statement sees the
        latest committed data (a page's count and rows may be a moment apart)."""
        options = {"read_only": True} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"}
        with Session(self.engine.execution_options(**options)) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
