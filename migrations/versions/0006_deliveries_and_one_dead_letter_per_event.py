"""deliveries owed to each consumer (re-sent when lost); one dead letter per (consumer, event)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:45:00.000000
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

import ates.database

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WAITING = sa.text("replayed_at IS NULL")


def _outbox() -> str | None:
    """The schema for ALTER TABLE: on SQLite every schema is the one main database."""
    return None if op.get_bind().dialect.name == "sqlite" else "outbox"


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("consumer", sa.String(length=50), nullable=False),
        sa.Column("event_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("relayed_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", ates.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_deliveries")),
        schema="outbox",
    )
    op.create_index(
        "ix_deliveries_consumer_relayed_at",
        "deliveries",
        ["consumer", "relayed_at"],
        unique=False,
        schema="outbox",
    )
    op.create_index(
        op.f("ix_deliveries_due_at"), "deliveries", ["due_at"], unique=False, schema="outbox"
    )
    op.drop_index("ix_dead_letters_waiting", table_name="dead_letters", schema="outbox")
    with op.batch_alter_table("dead_letters", schema=_outbox()) as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="1", nullable=False))
    _one_letter_per_event()
    with op.batch_alter_table("dead_letters", schema=_outbox()) as batch:
        batch.alter_column("event_id", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(
            batch.f("uq_dead_letters_consumer_event_id"), ["consumer", "event_id"]
        )
    op.create_index(
        "ix_dead_letters_waiting",
        "dead_letters",
        ["consumer", "id"],
        unique=False,
        schema="outbox",
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )


def _one_letter_per_event() -> None:
    """Key letters without an event id by their body; merge copies into the newest one."""
    connection = op.get_bind()
    letters = sa.table(
        "dead_letters",
        sa.column("id"),
        sa.column("consumer"),
        sa.column("event_id"),
        sa.column("message", sa.JSON),
        sa.column("attempts"),
        schema=_outbox(),
    )
    rows = connection.execute(
        sa.select(letters.c.id, letters.c.consumer, letters.c.event_id, letters.c.message)
    ).all()
    kept: dict[tuple, list[int]] = {}
    for row in rows:
        event_id = (
            row.event_id
            or "sha1:" + hashlib.sha1(json.dumps(row.message, sort_keys=True).encode()).hexdigest()
        )
        if event_id != row.event_id:
            connection.execute(
                letters.update().where(letters.c.id == row.id).values(event_id=event_id)
            )
        kept.setdefault((row.consumer, event_id), []).append(row.id)
    for ids in kept.values():
        if len(ids) > 1:
            newest = max(ids)
            connection.execute(letters.delete().where(letters.c.id.in_(set(ids) - {newest})))
            connection.execute(
                letters.update().where(letters.c.id == newest).values(attempts=len(ids))
            )


def downgrade() -> None:
    op.drop_index("ix_dead_letters_waiting", table_name="dead_letters", schema="outbox")
    with op.batch_alter_table("dead_letters", schema=_outbox()) as batch:
        batch.drop_constraint(batch.f("uq_dead_letters_consumer_event_id"), type_="unique")
        batch.alter_column("event_id", existing_type=sa.String(length=64), nullable=True)
        batch.drop_column("attempts")
    op.create_index(
        "ix_dead_letters_waiting",
        "dead_letters",
        ["consumer", "id"],
        unique=False,
        schema="outbox",
        postgresql_where=WAITING,
        sqlite_where=WAITING,
    )
    op.drop_index(op.f("ix_deliveries_due_at"), table_name="deliveries", schema="outbox")
    op.drop_index("ix_deliveries_consumer_relayed_at", table_name="deliveries", schema="outbox")
    op.drop_table("deliveries", schema="outbox")
