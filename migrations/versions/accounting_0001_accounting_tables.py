"""Accounting: ledger accounts, priced tasks, the append-only ledger, day closes and payouts.

Revision ID: accounting_0001
Revises: 0001
Create Date: 2026-11-25 08:03:39.441955
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import create_schema, drop_schema

import ates.database

revision = 'accounting_0001'
down_revision = '0001'
branch_labels = ('accounting',)
depends_on = None


def upgrade() -> None:
    create_schema(op, "accounting")
    op.create_table('day_close_payouts',
    sa.Column('account_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('billing_day', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('paid_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_day_close_payouts_positive')),
    sa.PrimaryKeyConstraint('account_id', 'billing_day', name=op.f('pk_day_close_payouts')),
    schema='accounting'
    )
    op.create_index(op.f('ix_day_close_payouts_run_id'), 'day_close_payouts', ['run_id'], unique=False, schema='accounting')
    op.create_table('day_closes',
    sa.Column('billing_day', sa.Date(), nullable=False),
    sa.Column('closed_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('billing_day', name=op.f('pk_day_closes')),
    schema='accounting'
    )
    op.create_table('ledger_accounts',
    sa.Column('public_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=True),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('balance', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False),
    sa.Column('opened_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_ledger_accounts')),
    schema='accounting'
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('account_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('billing_day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.Uuid(as_uuid=False), nullable=True),
    sa.Column('cause_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('assign_fee', 'completion_reward', 'payout')", name=op.f('ck_ledger_entries_kind_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('cause_id', 'kind', 'account_id', name=op.f('uq_ledger_entries_cause_id_kind_account_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_ledger_entries_public_id')),
    schema='accounting'
    )
    op.create_index('ix_ledger_entries_account_day', 'ledger_entries', ['account_id', 'billing_day'], unique=False, schema='accounting')
    op.create_index('ix_ledger_entries_day', 'ledger_entries', ['billing_day'], unique=False, schema='accounting')
    op.create_table('priced_tasks',
    sa.Column('public_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('jira_id', sa.String(length=32), nullable=True),
    sa.Column('details_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('assign_fee', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('completion_reward', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('priced_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('assign_fee BETWEEN 1000 AND 2000', name=op.f('ck_priced_tasks_assign_fee_range')),
    sa.CheckConstraint('completion_reward BETWEEN 2000 AND 4000', name=op.f('ck_priced_tasks_reward_range')),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_priced_tasks')),
    schema='accounting'
    )


def downgrade() -> None:
    op.drop_table('priced_tasks', schema='accounting')
    op.drop_index('ix_ledger_entries_day', table_name='ledger_entries', schema='accounting')
    op.drop_index('ix_ledger_entries_account_day', table_name='ledger_entries', schema='accounting')
    op.drop_table('ledger_entries', schema='accounting')
    op.drop_table('ledger_accounts', schema='accounting')
    op.drop_table('day_closes', schema='accounting')
    op.drop_index(op.f('ix_day_close_payouts_run_id'), table_name='day_close_payouts', schema='accounting')
    op.drop_table('day_close_payouts', schema='accounting')
    drop_schema(op, "accounting")
