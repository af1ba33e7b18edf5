"""The auth domain: accounts and the failed-login counters.

Revision ID: auth_0001
Revises: 0001
Create Date: 2026-11-25 08:02:41.492546
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import create_schema, drop_schema

import ates.database

revision = "auth_0001"
down_revision = "0001"
branch_labels = ("auth",)
depends_on = None


def upgrade() -> None:
    create_schema(op, "auth")
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'accountant', 'worker')", name=op.f("ck_accounts_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("login", name=op.f("uq_accounts_login")),
        sa.UniqueConstraint("public_id", name=op.f("uq_accounts_public_id")),
        schema="auth",
    )
    op.create_table(
        "login_failures",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", ates.database.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_login_failures")),
        schema="auth",
    )


def downgrade() -> None:
    op.drop_table("login_failures", schema="auth")
    op.drop_table("accounts", schema="auth")
    drop_schema(op, "auth")
