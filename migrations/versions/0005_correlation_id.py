"""correlation id on events; indexes to follow one click: archive by correlation and key, inbox
by event

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _column_schema() -> str | None:
    # ALTER TABLE is not schema-translated: on SQLite every schema is the main database.
    return None if op.get_bind().dialect.name == "sqlite" else "outbox"


def upgrade() -> None:
    for table in ("events", "event_archive"):
        op.add_column(
            table,
            sa.Column("correlation_id", sa.String(64), nullable=True),
            schema=_column_schema(),
        )
    op.create_index(
        "ix_event_archive_correlation_id", "event_archive", ["correlation_id"], schema="outbox"
    )
    op.create_index("ix_event_archive_key", "event_archive", ["key"], schema="outbox")
    op.create_index("ix_inbox_event_id", "inbox", ["event_id"], schema="outbox")


def downgrade() -> None:
    op.drop_index("ix_inbox_event_id", table_name="inbox", schema="outbox")
    op.drop_index("ix_event_archive_key", table_name="event_archive", schema="outbox")
    op.drop_index("ix_event_archive_correlation_id", table_name="event_archive", schema="outbox")
    for table in ("event_archive", "events"):
        op.drop_column(table, "correlation_id", schema=_column_schema())
