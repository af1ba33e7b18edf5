"""The tracker's tables: tasks and the pool of parrots who may be assigned them.

Revision ID: tracker_0001
Revises: 0001
Create Date: 2026-11-25 08:03:20.196744
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import create_schema, drop_schema

import ates.database

revision = 'tracker_0001'
down_revision = '0001'
branch_labels = ('tracker',)
depends_on = None


def upgrade() -> None:
    create_schema(op, "tracker")
    op.create_table('assignees',
    sa.Column('public_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('public_id', name=op.f('pk_assignees')),
    schema='tracker'
    )
    op.create_table('tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('public_id', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('jira_id', sa.String(length=32), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('assignee', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('assignment', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('created_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', ates.database.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'done')", name=op.f('ck_tasks_status')),
    sa.CheckConstraint('assignment >= 1', name=op.f('ck_tasks_assignment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('public_id', name=op.f('uq_tasks_public_id')),
    schema='tracker'
    )
    op.create_index('ix_tasks_assignee_status_id', 'tasks', ['assignee', 'status', 'id'], unique=False, schema='tracker')
    op.create_index('ix_tasks_status_id', 'tasks', ['status', 'id'], unique=False, schema='tracker')


def downgrade() -> None:
    op.drop_index('ix_tasks_status_id', table_name='tasks', schema='tracker')
    op.drop_index('ix_tasks_assignee_status_id', table_name='tasks', schema='tracker')
    op.drop_table('tasks', schema='tracker')
    op.drop_table('assignees', schema='tracker')
    drop_schema(op, "tracker")
