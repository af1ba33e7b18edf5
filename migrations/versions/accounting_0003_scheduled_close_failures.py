"""Accounting: scheduled closes that failed, retried until the day is closed

Revision ID: accounting_close_failures
Revises: accounting_0002
Create Date: 2026-11-29 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "accounting_close_failures"
down_revision = "accounting_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_close_failures",
        sa.Column("billing_day", sa.Date(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("billing_day", name=op.f("pk_scheduled_close_failures")),
        schema="accounting",
    )


def downgrade() -> None:
    op.drop_table("scheduled_close_failures", schema="accounting")
