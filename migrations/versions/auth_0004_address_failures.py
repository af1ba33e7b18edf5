"""The auth domain: failed logins per client address, shared by every web process without Redis

Revision ID: auth_0004
Revises: auth_0003
Create Date: 2026-11-29 12:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import ates.database

revision = "auth_0004"
down_revision = "auth_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "address_failures",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_address_failures")),
        schema="auth",
    )
    op.create_index(
        op.f("ix_address_failures_window_ends_at"),
        "address_failures",
        ["window_ends_at"],
        unique=False,
        schema="auth",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_address_failures_window_ends_at"), "address_failures", schema="auth")
    op.drop_table("address_failures", schema="auth")
