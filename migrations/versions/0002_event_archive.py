"""event archive

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:01:52.996981
"""

import sqlalchemy as sa
from alembic import op

import ates.database
from sqlalchemy.dialects import postgresql
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_archive',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('event_name', sa.String(length=100), nullable=False),
    sa.Column('event_version', sa.Integer(), nullable=False),
    sa.Column('event_time', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('producer', sa.String(length=50), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('relayed_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_archive')),
    sa.UniqueConstraint('event_id', name=op.f('uq_event_archive_event_id')),
    schema='outbox'
    )
    op.create_index('ix_event_archive_event_name_event_time', 'event_archive', ['event_name', 'event_time'], unique=False, schema='outbox')
    op.create_index(op.f('ix_event_archive_event_time'), 'event_archive', ['event_time'], unique=False, schema='outbox')


def downgrade() -> None:
    op.drop_index(op.f('ix_event_archive_event_time'), table_name='event_archive', schema='outbox')
    op.drop_index('ix_event_archive_event_name_event_time', table_name='event_archive', schema='outbox')
    op.drop_table('event_archive', schema='outbox')
