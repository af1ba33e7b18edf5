"""Sender: the e-mailed amount 64-bit, as in accounting

Revision ID: sender_0002
Revises: sender_0001
Create Date: 2026-11-29 08:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "sender_0002"
down_revision = "sender_0001"
branch_labels = None
depends_on = None

Cents = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _alter(sa.Integer(), Cents)


def downgrade() -> None:
    _alter(Cents, sa.Integer())


def _alter(old, new) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite's INTEGER is 64-bit already
    op.alter_column(
        "emails", "amount", existing_type=old, type_=new, existing_nullable=False, schema="sender"
    )
