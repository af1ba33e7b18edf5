"""indexes for the operations page: archive by relay time, dead letters still waiting

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_event_archive_relayed_at"),
        "event_archive",
        ["relayed_at"],
        unique=False,
        schema="outbox",
    )
    op.create_index(
        "ix_dead_letters_waiting",
        "dead_letters",
        ["consumer", "id"],
        unique=False,
        schema="outbox",
        postgresql_where=sa.text("replayed_at IS NULL"),
        sqlite_where=sa.text("replayed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_dead_letters_waiting", table_name="dead_letters", schema="outbox")
    op.drop_index(op.f("ix_event_archive_relayed_at"), table_name="event_archive", schema="outbox")
