"""The sender's sent log: one row per payout e-mail.

Revision ID: sender_0001
Revises: 0001
Create Date: 2026-11-25 08:04:14.362954
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import create_schema, drop_schema

import ates.database  # noqa: F401  (column types such as ates.database.UTCDateTime)

revision = 'sender_0001'
down_revision = '0001'
branch_labels = ('sender',)
depends_on = None


def upgrade() -> None:
    create_schema(op, "sender")
    op.create_table('emails',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('payment_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('account', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('billing_day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', ates.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f('ck_emails_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emails')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_emails_payment_id')),
    schema='sender'
    )


def downgrade() -> None:
    op.drop_table('emails', schema='sender')
    drop_schema(op, "sender")
