"""INSERT ... ON CONFLICT for both backends: how every handler stores a fact idempotently.

Each statement is built once per table and shape and run with each event's values: building
it cost more than running it, on every event (see `ates.backend.records`).
"""

import functools
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import Backend, backend


def insert_new(
    session: Session, table: sa.Table, rows: list[dict], *, key: Iterable[str], returning=()
) -> list[sa.Row]:
    """Insert the rows whose key is not taken yet; return `returning` of those it inserted."""
    if not rows:
        return []
    statement = _inserting(backend(session), table, tuple(key), tuple(returning))
    result = session.execute(statement, rows)
    return result.all() if returning else []


@functools.cache
def _inserting(database: Backend, table: sa.Table, key: tuple[str, ...], returning: tuple):
    statement = database.insert(table).on_conflict_do_nothing(index_elements=list(key))
    return statement.returning(*returning) if returning else statement


def add_to(session: Session, table: sa.Table, key: str, column: str, amounts: dict) -> None:
    """Add amounts to a column, row by key (created at 0), locking rows in key order."""
    if amounts:
        rows = [{key: k, column: amounts[k]} for k in sorted(amounts)]
        session.execute(_adding(backend(session), table, key, column), rows)


@functools.cache
def _adding(database: Backend, table: sa.Table, key: str, column: str):
    statement = database.insert(table)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={column: table.c[column] + statement.excluded[column]}
    )


def lock_in_order(session: Session, table: sa.Table, key: str, rows: list[dict], touch: str):
    """Insert the rows whose key is new and lock every one, all in key order, in one statement
    (setting `touch` to itself locks an existing row and changes nothing)."""
    if rows:
        rows = sorted(rows, key=lambda row: row[key])
        statement = backend(session).insert(table).values(rows)
        session.execute(
            statement.on_conflict_do_update(index_elements=[key], set_={touch: table.c[touch]})
        )


def upsert(
    session: Session,
    table: sa.Table,
    values: dict,
    *,
    key: Iterable[str],
    update: Iterable[str] = (),
    when: Callable[[sa.Table, object], sa.ColumnElement] | None = None,
) -> None:
    """Insert the row; on a taken key set the `update` columns where `when(table, new)` holds.

    `when` is defined once, at module level: the statement is kept per condition.
    """
    statement = _upserting(backend(session), table, tuple(key), tuple(update), when)
    session.execute(statement, values)


@functools.lru_cache(maxsize=64)  # bounded: a `when` made per call would otherwise pile up
def _upserting(database: Backend, table: sa.Table, key: tuple, update: tuple, when):
    statement = database.insert(table)
    if not update:
        return statement.on_conflict_do_nothing(index_elements=list(key))
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: new[name] for name in update},
        where=when(table, new) if when else None,
    )
