"""Sender: the language each parrot chose for their payout e-mails

Revision ID: sender_0003
Revises: sender_0002
Create Date: 2026-12-06 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "sender_0003"
down_revision = "sender_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "languages",
        sa.Column("account", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_languages")),
        schema="sender",
    )


def downgrade() -> None:
    op.drop_table("languages", schema="sender")
