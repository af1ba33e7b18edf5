"""The models as each backend sees them: real schemas on PostgreSQL, one namespace on SQLite."""

import sqlalchemy as sa

from ates.database import is_sqlite, metadata


def target_metadata(url: str) -> sa.MetaData:
    if not is_sqlite(url):
        return metadata
    flat = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(flat, schema=None)
    return flat


def create_schema(op, name: str) -> None:
    """A real schema on PostgreSQL; nothing on SQLite, where every schema maps to `main`."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {name}")


def drop_schema(op, name: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
