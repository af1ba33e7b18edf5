"""The outbox's schema and tables (each domain's first migration creates its own schema).

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 07:56:15.922721
"""

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import ates.database
from migrations.schema import create_schema, drop_schema

revision = '0001'
down_revision = None
branch_labels = ('outbox',)
depends_on = None


def upgrade() -> None:
    create_schema(op, "outbox")
    op.create_table('dead_letters',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('consumer', sa.String(length=50), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('event_name', sa.String(length=100), nullable=True),
    sa.Column('event_version', sa.Integer(), nullable=True),
    sa.Column('message', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('failed_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replayed_at', ates.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters')),
    schema='outbox'
    )
    op.create_index(op.f('ix_dead_letters_consumer'), 'dead_letters', ['consumer'], unique=False, schema='outbox')
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('event_name', sa.String(length=100), nullable=False),
    sa.Column('event_version', sa.Integer(), nullable=False),
    sa.Column('event_time', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('producer', sa.String(length=50), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('relayed_at', ates.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_events_event_id')),
    schema='outbox'
    )
    op.create_index('ix_events_pending', 'events', ['id'], unique=False, schema='outbox', postgresql_where=sa.text('relayed_at IS NULL'), sqlite_where=sa.text('relayed_at IS NULL'))
    op.create_index('ix_events_relayed_at', 'events', ['relayed_at'], unique=False, schema='outbox')
    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=50), nullable=False),
    sa.Column('event_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('handled_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id', name=op.f('pk_inbox')),
    schema='outbox'
    )


def downgrade() -> None:
    op.drop_table('inbox', schema='outbox')
    op.drop_index('ix_events_relayed_at', table_name='events', schema='outbox')
    op.drop_index('ix_events_pending', table_name='events', schema='outbox', postgresql_where=sa.text('relayed_at IS NULL'), sqlite_where=sa.text('relayed_at IS NULL'))
    op.drop_table('events', schema='outbox')
    op.drop_index(op.f('ix_dead_letters_consumer'), table_name='dead_letters', schema='outbox')
    op.drop_table('dead_letters', schema='outbox')
    drop_schema(op, "outbox")
