"""The auth domain: the interface language each account chose

Revision ID: auth_0003
Revises: auth_0002
Create Date: 2026-11-29 09:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "auth_0003"
down_revision = "auth_0002"
branch_labels = None
depends_on = None


def _column_schema() -> str | None:
    # ALTER TABLE is not schema-translated: on SQLite every schema is the main database.
    return None if op.get_bind().dialect.name == "sqlite" else "auth"


def upgrade() -> None:
    op.add_column(
        "accounts", sa.Column("language", sa.String(length=8), nullable=True), schema=_column_schema()
    )


def downgrade() -> None:
    op.drop_column("accounts", "language", schema=_column_schema())
