"""A task's history: every assignment, and every press of Reassign.

Revision ID: tracker_0002
Revises: tracker_0001
Create Date: 2026-11-29 08:30:00
"""

import sqlalchemy as sa
from alembic import op

import ates.database

revision = 'tracker_0002'
down_revision = 'tracker_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reassigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('pressed_by', sa.Uuid(as_uuid=False), nullable=True),
    sa.Column('pressed_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('moved', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reassigns')),
    schema='tracker'
    )
    history = op.create_table('task_assignments',
    sa.Column('task', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('assignment', sa.Integer(), nullable=False),
    sa.Column('assignee', sa.Uuid(as_uuid=False), nullable=False),
    sa.Column('assigned_at', ates.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reassign', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('task', 'assignment', name=op.f('pk_task_assignments')),
    schema='tracker'
    )
    # Tasks added before the history was kept: their current assignment, dated at creation.
    # (A lightweight table is not schema-translated: on SQLite every schema is the main database.)
    sqlite = op.get_bind().dialect.name == 'sqlite'
    tasks = sa.table(
        'tasks', *(sa.column(name) for name in ('public_id', 'assignment', 'assignee', 'created_at')),
        schema=None if sqlite else 'tracker',
    )
    op.execute(
        history.insert().from_select(
            ['task', 'assignment', 'assignee', 'assigned_at'],
            sa.select(tasks.c.public_id, tasks.c.assignment, tasks.c.assignee, tasks.c.created_at),
        )
    )


def downgrade() -> None:
    op.drop_table('task_assignments', schema='tracker')
    op.drop_table('reassigns', schema='tracker')
