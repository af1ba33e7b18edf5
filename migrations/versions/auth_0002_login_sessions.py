"""The auth domain: revocable login sessions, and a progressive delay instead of the lockout

Revision ID: auth_0002
Revises: auth_0001
Create Date: 2026-11-29 08:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import ates.database

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("started_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_login_sessions")),
        schema="auth",
    )
    op.create_index(
        op.f("ix_login_sessions_account_id"),
        "login_sessions",
        ["account_id"],
        unique=False,
        schema="auth",
    )
    # Failure counts live minutes; starting them afresh loses nothing worth a data migration.
    op.drop_table("login_failures", schema="auth")
    _login_failures("next_try_at")


def downgrade() -> None:
    op.drop_table("login_failures", schema="auth")
    _login_failures("locked_until")
    op.drop_index(op.f("ix_login_sessions_account_id"), "login_sessions", schema="auth")
    op.drop_table("login_sessions", schema="auth")


def _login_failures(wait_column: str) -> None:
    op.create_table(
        "login_failures",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column(wait_column, ates.database.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_login_failures")),
        schema="auth",
    )
