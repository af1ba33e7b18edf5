"""Where PostgreSQL and SQLite differ, and nowhere else: chosen once with the engine.

Every domain writes one statement for both databases and asks its session's backend
(`backend(session)`) for the pieces that differ: an INSERT that offers ON CONFLICT, `IN` over
hundreds of ids, rows sent as one JSON text and read as a table, a bulk insert, a row lock, a
transaction-scoped lock, a random draw per row, a minute bucket, a JSON object built in SQL and
the rows of a data-modifying statement used as the source of the next one.

PostgreSQL gets the set-based forms measured in docs/benchmarks.md; SQLite (the embedded
default, one writer at a time) gets the plain forms it supports.
"""

import functools
import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def array_literal(values) -> str:
    """A PostgreSQL array of ids or integers as one text, '{1,2,3}', for `CAST(:p AS type[])`.

    psycopg adapts a Python list element by element in Python (~0.1 ms per 1,000 items); the
    server parses the text at once. Only for values without commas, quotes or braces.
    """
    return "{" + ",".join(str(value) for value in values) + "}"


def _json_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC time")
        return value.isoformat()
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return value


@functools.cache
def _sqlite_processors(columns: tuple[tuple[str, sa.types.TypeEngine], ...]) -> dict:
    """How SQLite stores each column's values, looked up once per column set: on every relay
    batch and delivery the lookup cost more than the statement."""
    dialect = sqlite.dialect()
    return {key: type_.dialect_impl(dialect).bind_processor(dialect) for key, type_ in columns}


class PostgreSQL:
    name = "postgresql"
    # Pages read in autocommit: no BEGIN and COMMIT round trips.
    reading_options = {"isolation_level": "AUTOCOMMIT"}
    snapshot_options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    # A commit that publishes NOTIFYs (migration 0004's trigger): a relay can LISTEN.
    notifies_on_commit = True
    # INSERT/UPDATE ... RETURNING as a CTE: several writes in one statement, one round trip.
    writes_in_ctes = True

    def refresh_statistics(self, session: Session) -> None:
        """Nothing: autovacuum's analyze keeps the planner's statistics."""

    def checkpoint(self, engine: sa.Engine) -> None:
        """Nothing: the server's checkpointer is a process of its own."""

    def insert(self, table: sa.Table):
        return postgresql.insert(table)

    def among(self, column, values, item_type, name: str = "ids"):
        """`column IN (values)` for hundreds of ids: one array literal, parsed once.

        Not `column = ANY(CAST(:ids AS type[]))`: array input is only a stable function, so the
        planner never folds that cast into a constant, and where it applies the condition as a
        filter it parses the whole list again for every row it visits (a consumer's inbox check
        took 7-64 s per batch of 500 that way). `IN (SELECT unnest(...))` parses it once.
        """
        value = None if values is None else self.among_value(values)
        array = sa.cast(sa.bindparam(name, value, type_=sa.Text), postgresql.ARRAY(item_type))
        return column.in_(sa.select(sa.func.unnest(array)))

    def among_value(self, values) -> str:
        """What `among(..., values=None)` is bound to at execution (a statement built once)."""
        return array_literal(values)

    def records(self, columns: dict[str, sa.types.TypeEngine], rows: Iterable[dict], name: str):
        """Rows as a table `name(columns)`: one JSON text read by `json_to_recordset`.

        executemany would send one INSERT per row (100,000 for a big Reassign), a multi-row
        VALUES hits the parameter limit, and psycopg adapts Python lists element by element.
        With `rows=None` the text is bound at execution (`records_text`): a statement on a busy
        path is built once.
        """
        text = None if rows is None else self.records_text(columns, rows)
        function = sa.func.json_to_recordset(sa.cast(sa.bindparam(name, text), sa.JSON))
        return function.table_valued(
            *(sa.column(key, type_) for key, type_ in columns.items())
        ).render_derived(name=name, with_types=True)

    def records_text(self, columns: dict[str, sa.types.TypeEngine], rows: Iterable[dict]) -> str:
        """What `records(..., rows=None)` is bound to at execution (a statement built once)."""
        return json.dumps(
            [{key: _json_value(row[key]) for key in columns} for row in rows], default=str
        )

    def insert_rows(self, session: Session, table: sa.Table, rows: list[dict]) -> None:
        """Many rows in one INSERT ... SELECT from one JSON text."""
        if len(rows) < 2:
            if rows:
                session.execute(sa.insert(table), rows)
            return
        columns = {key: table.c[key].type for key in rows[0]}
        source = self.records(columns, rows, "new_rows")
        session.execute(sa.insert(table).from_select(list(columns), sa.select(*source.c)))

    def for_update(self, query, *, skip_locked: bool = False):
        return query.with_for_update(skip_locked=skip_locked)

    def lock(self, session: Session, key: int) -> None:
        """Wait for a lock named by `key` and hold it until the transaction ends."""
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))

    def random_below(self, size):
        """A number drawn for each row, 0 <= n < size."""
        return sa.cast(sa.func.floor(sa.func.random() * size), sa.Integer)

    def minute_of(self, column):
        return sa.func.date_trunc("minute", column)

    def as_minute(self, value) -> datetime:
        return value.astimezone(UTC).replace(second=0, microsecond=0)

    def new_uuid(self):
        return sa.func.gen_random_uuid()

    def as_text(self, column):
        """A column as text; a UUID as its dashed form."""
        return sa.cast(column, sa.String)

    def json_object(self, fields: dict):
        return sa.func.jsonb_build_object(
            *(part for key, column in fields.items() for part in (sa.literal(key), column))
        )

    @contextmanager
    def modified(self, session: Session, statement, name: str) -> Iterator[sa.FromClause]:
        """The rows an INSERT/UPDATE ... RETURNING changes, as the source of one more statement:
        here a data-modifying CTE, so both run as one statement and no row passes through Python.
        """
        yield statement.cte(name)

    def insert_counted(self, session: Session, statement, example) -> tuple[int, object]:
        """Run an INSERT ... SELECT; return how many rows it inserted and `example` of one."""
        inserted = statement.returning(example).cte("inserted")
        return session.execute(
            sa.select(
                sa.select(sa.func.count()).select_from(inserted).scalar_subquery(),
                sa.select(inserted.c[0]).limit(1).scalar_subquery(),
            )
        ).one()


class SQLite:
    name = "sqlite"
    # Pages read in a deferred transaction (ates.database begins it) that never queues for the
    # write lock.
    reading_options = snapshot_options = {"read_only": True}  # WAL: a reader sees one moment
    notifies_on_commit = False  # the relay runs in the app process: a doorbell in memory wakes it
    writes_in_ctes = False

    def refresh_statistics(self, session: Session) -> None:
        """ANALYZE (sampled: `analysis_limit`), which nothing else runs for SQLite. Without
        statistics the planner takes an equality on an index for ten rows and skips the
        automatic index a join needs: a Reassign among 10,000 parrots took 2.5 s, not 0.03 s."""
        session.execute(sa.text("ANALYZE"))

    def checkpoint(self, engine: sa.Engine) -> None:
        """Copy the write-ahead log into the database file now, in the relay's quiet moment.
        Otherwise the commit that grows the log past 1,000 pages copies it, and a user's click
        waited 7-10 ms for that. PASSIVE: it never waits for, nor holds up, a writer."""
        connection = engine.raw_connection()
        try:
            # Outside SQLAlchemy's transaction: the driver runs it in autocommit (`make_engine`).
            connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    def insert(self, table: sa.Table):
        return sqlite.insert(table)

    def among(self, column, values, item_type, name: str = "ids"):
        value = None if values is None else self.among_value(values)
        return column.in_(sa.bindparam(name, value, expanding=True))

    def among_value(self, values) -> list:
        return list(values)

    def records(self, columns: dict[str, sa.types.TypeEngine], rows: Iterable[dict], name: str):
        """Rows as a table `name(columns)`: one JSON text read by `json_each`, each value in the
        form its column type stores (a UUID as 32 hex digits, a time as text)."""
        text = None if rows is None else self.records_text(columns, rows)
        each = sa.func.json_each(sa.bindparam(name, text)).table_valued("value")
        return (
            sa.select(
                *(
                    sa.type_coerce(sa.func.json_extract(each.c.value, f"$.{key}"), type_).label(key)
                    for key, type_ in columns.items()
                )
            )
            .select_from(each)
            .subquery(name)
        )

    def records_text(self, columns: dict[str, sa.types.TypeEngine], rows: Iterable[dict]) -> str:
        processors = _sqlite_processors(tuple(columns.items()))
        return json.dumps(
            [
                {
                    key: processors[key](row[key]) if processors[key] else _json_value(row[key])
                    for key in columns
                }
                for row in rows
            ],
            default=str,
        )

    def insert_rows(self, session: Session, table: sa.Table, rows: list[dict]) -> None:
        if rows:
            session.execute(sa.insert(table), rows)

    def for_update(self, query, *, skip_locked: bool = False):
        return query  # a writing transaction holds the database's one write lock from its BEGIN

    def lock(self, session: Session, key: int) -> None:
        """Nothing to take: a writing transaction holds the one write lock from its BEGIN."""

    def random_below(self, size):
        return sa.func.abs(sa.func.random() % size)  # random() is a signed 64-bit integer

    def minute_of(self, column):
        return sa.func.strftime("%Y-%m-%d %H:%M", column)

    def as_minute(self, value) -> datetime:
        return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)

    def new_uuid(self):
        return sa.func.gen_random_uuid()  # ates.database gives SQLite's connections PostgreSQL's

    def as_text(self, column):
        """A column as text; a UUID (32 hex digits here) as its dashed form."""
        if not isinstance(getattr(column, "type", None), sa.Uuid):
            return sa.cast(column, sa.String)
        part = [sa.func.substr(column, start, length) for start, length in _UUID_GROUPS]
        return sa.func.lower(
            part[0] + "-" + part[1] + "-" + part[2] + "-" + part[3] + "-" + part[4]
        )

    def json_object(self, fields: dict):
        return sa.func.json_object(
            *(
                part
                for key, column in fields.items()
                for part in (sa.literal(key), self._json_ready(column))
            )
        )

    def _json_ready(self, column):
        """JSON carries a UUID as its dashed text."""
        return (
            self.as_text(column) if isinstance(getattr(column, "type", None), sa.Uuid) else column
        )

    @contextmanager
    def modified(self, session: Session, statement, name: str) -> Iterator[sa.FromClause]:
        """SQLite runs no data-modifying CTE: the rows the statement writes wait in a temporary
        table, copied there in SQL by a temporary trigger while it runs. Carried through Python
        (fetched, converted, inserted back), 10,000 rows cost the Reassign more than its SQL.

        `statement`'s RETURNING names columns of its table, as on PostgreSQL; every schema is
        the one main database (`ates.database`), so the trigger names the table alone.
        """
        returned = list(statement.exported_columns)
        columns = [sa.Column(c.key, c.type) for c in returned]
        table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
        connection = session.connection()
        quote = connection.dialect.identifier_preparer.quote
        trigger = quote(f"{name}_rows")
        table.create(connection)
        connection.exec_driver_sql(
            f"CREATE TEMP TRIGGER {trigger}"
            f" AFTER {'INSERT' if statement.is_insert else 'UPDATE'}"
            f" ON {quote(statement.table.name)} BEGIN"
            f" INSERT INTO {quote(name)} ({', '.join(quote(c.key) for c in returned)})"
            f" VALUES ({', '.join(f'NEW.{quote(c.name)}' for c in returned)}); END"
        )
        try:
            connection.execute(statement).close()
        finally:
            connection.exec_driver_sql(f"DROP TRIGGER temp.{trigger}")
        try:
            yield table
        finally:
            table.drop(connection)

    def insert_counted(self, session: Session, statement, example) -> tuple[int, object]:
        count = session.execute(statement).rowcount
        if not count:
            return 0, None
        table = statement.table
        newest = sa.select(example).order_by(table.primary_key.columns[0].desc()).limit(1)
        return count, session.scalar(newest)


_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))

BACKENDS = {backend.name: backend for backend in (PostgreSQL(), SQLite())}

Backend = PostgreSQL | SQLite


def backend(session: Session) -> Backend:
    """The backend of the database this session works on."""
    return BACKENDS[session.get_bind().dialect.name]
