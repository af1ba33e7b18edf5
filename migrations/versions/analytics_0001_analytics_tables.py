"""Analytics: accounts, tasks, ledger entries and balances as copied from events.

Revision ID: analytics_0001
Revises: 0001
Create Date: 2026-11-25 08:03:22.016824
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import create_schema, drop_schema

import ates.database

revision = "analytics_0001"
down_revision = "0001"
branch_labels = ("analytics",)
depends_on = None


def upgrade() -> None:
    create_schema(op, "analytics")
    op.create_table(
        "analytics_accounts",
        sa.Column("public_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("public_id", name=op.f("pk_analytics_accounts")),
        schema="analytics",
    )
    op.create_table(
        "analytics_balances",
        sa.Column("account", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_analytics_balances")),
        schema="analytics",
    )
    op.create_table(
        "analytics_ledger_entries",
        sa.Column("entry_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("account", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("billing_day", sa.Date(), nullable=False),
        sa.Column("task", sa.Uuid(as_uuid=False), nullable=True),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_analytics_ledger_entries")),
        schema="analytics",
    )
    op.create_index(
        "ix_analytics_ledger_entries_day_kind",
        "analytics_ledger_entries",
        ["billing_day", "kind", "amount"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "analytics_tasks",
        sa.Column("public_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("jira_id", sa.String(length=32), nullable=True),
        sa.Column("created_version", sa.Integer(), nullable=True),
        sa.Column("completed_by", sa.Uuid(as_uuid=False), nullable=True),
        sa.Column("completed_at", ates.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_day", sa.Date(), nullable=True),
        sa.Column("completion_reward", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("public_id", name=op.f("pk_analytics_tasks")),
        schema="analytics",
    )
    op.create_index(
        "ix_analytics_tasks_completed_day_reward",
        "analytics_tasks",
        ["completed_day", "completion_reward"],
        unique=False,
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_analytics_tasks_completed_day_reward", table_name="analytics_tasks", schema="analytics"
    )
    op.drop_table("analytics_tasks", schema="analytics")
    op.drop_index(
        "ix_analytics_ledger_entries_day_kind",
        table_name="analytics_ledger_entries",
        schema="analytics",
    )
    op.drop_table("analytics_ledger_entries", schema="analytics")
    op.drop_table("analytics_balances", schema="analytics")
    op.drop_table("analytics_accounts", schema="analytics")
    drop_schema(op, "analytics")
