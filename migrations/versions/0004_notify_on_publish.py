"""NOTIFY outbox_published when events are inserted, delivered to the relays at commit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 08:40:00.000000
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has one process: the relay is woken in memory (outbox.wakeup)
    # One notification per statement, not per row: a Reassign's 100,000 events wake a relay once
    # (and PostgreSQL folds equal notifications of one transaction into one).
    op.execute(
        """
        CREATE FUNCTION outbox.notify_published() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('outbox_published', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_published AFTER INSERT ON outbox.events "
        "FOR EACH STATEMENT EXECUTE FUNCTION outbox.notify_published()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER events_published ON outbox.events")
    op.execute("DROP FUNCTION outbox.notify_published()")
