"""Analytics: money columns 64-bit, as in accounting (a 32-bit sum overflows at 21 million)

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-11-29 08:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0002"
down_revision = "analytics_0001"
branch_labels = None
depends_on = None

Cents = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = (
    ("analytics_tasks", "completion_reward", True),
    ("analytics_ledger_entries", "amount", False),
    ("analytics_balances", "balance", False),
)


def upgrade() -> None:
    _alter(sa.Integer(), Cents)


def downgrade() -> None:
    _alter(Cents, sa.Integer())


def _alter(old, new) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite's INTEGER is 64-bit already
    for table, column, nullable in COLUMNS:
        op.alter_column(
            table,
            column,
            existing_type=old,
            type_=new,
            existing_nullable=nullable,
            schema="analytics",
        )
