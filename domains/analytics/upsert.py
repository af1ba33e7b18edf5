"""INSERT ... ON CONFLICT for both backends: how every handler stores a fact idempotently."""

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


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
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values)
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
