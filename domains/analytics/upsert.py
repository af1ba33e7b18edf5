"""INSERT ... ON CONFLICT for both backends: how every handler stores a fact idempotently."""

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend


def insert_new(
    session: Session, table: sa.Table, rows: list[dict], *, key: Iterable[str], returning=()
) -> list[sa.Row]:
    """Insert the rows whose key is not taken yet; return `returning` of those it inserted."""
    if not rows:
        return []
    statement = backend(session).insert(table).on_conflict_do_nothing(index_elements=list(key))
    if not returning:
        session.execute(statement, rows)
        return []
    return session.execute(statement.returning(*returning), rows).all()


def add_to(session: Session, table: sa.Table, key: str, column: str, amounts: dict) -> None:
    """Add amounts to a column, row by key (created at 0), locking rows in key order."""
    if amounts:
        statement = backend(session).insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[key], set_={column: table.c[column] + statement.excluded[column]}
        )
        session.execute(statement, [{key: k, column: amounts[k]} for k in sorted(amounts)])


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
    """Insert the row; on a taken key set the `update` columns where `when(table, new)` holds."""
    statement = backend(session).insert(table).values(**values)
    update = list(update)
    if not update:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    else:
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: new[name] for name in update},
            where=when(table, new) if when else None,
        )
    session.execute(statement)
