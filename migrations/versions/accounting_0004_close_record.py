"""Accounting: who closed a billing day (NULL: the schedule) and whether it closed early

Revision ID: accounting_0004
Revises: accounting_close_failures
Create Date: 2026-11-29 08:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "accounting_0004"
down_revision = "accounting_close_failures"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # ALTER TABLE is not schema-translated: on SQLite every schema is the main database.
    return None if op.get_bind().dialect.name == "sqlite" else "accounting"


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, or with a default) needs no table copy on either backend.
    op.add_column(
        "day_closes", sa.Column("closed_by", sa.Uuid(as_uuid=False), nullable=True), schema=_schema()
    )
    op.add_column(
        "day_closes",
        sa.Column("early", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_column("day_closes", "early", schema=_schema())
    op.drop_column("day_closes", "closed_by", schema=_schema())
