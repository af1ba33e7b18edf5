"""The outbox's own tables: the work queue of published events, consumers' inboxes, dead letters."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ates.database import UTCDateTime, metadata

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Uuid(as_uuid=False), nullable=False, unique=True),
    sa.Column("event_name", sa.String(100), nullable=False),
    sa.Column("event_version", sa.Integer, nullable=False),
    sa.Column("event_time", UTCDateTime, nullable=False),
    sa.Column("producer", sa.String(50), nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("data", Json, nullable=False),
    sa.Column("relayed_at", UTCDateTime, nullable=True),
    sa.Column("correlation_id", sa.String(64), nullable=True),
    # The relay scans only pending rows, oldest first; relayed rows wait for the cleanup.
    sa.Index(
        "ix_events_pending",
        "id",
        postgresql_where=sa.text("relayed_at IS NULL"),
        sqlite_where=sa.text("relayed_at IS NULL"),
    ),
    sa.Index("ix_events_relayed_at", "relayed_at"),
    schema="outbox",
)

# Every relayed event, kept for good (the work queue above is cleaned): the history that read
# models are rebuilt from. Indexed by event time, so it can grow for years.
event_archive = sa.Table(
    "event_archive",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Uuid(as_uuid=False), nullable=False, unique=True),
    sa.Column("event_name", sa.String(100), nullable=False),
    sa.Column("event_version", sa.Integer, nullable=False),
    sa.Column("event_time", UTCDateTime, nullable=False, index=True),
    sa.Column("producer", sa.String(50), nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("data", Json, nullable=False),
    # Indexed for the operations page's "relayed per minute" over the last minutes.
    sa.Column("relayed_at", UTCDateTime, nullable=False, index=True),
    # The request or job that caused it, and the aggregate: the operations page follows a click
    # (every event of a correlation id) or a task (every event keyed by it) through these.
    sa.Column("correlation_id", sa.String(64), nullable=True, index=True),
    sa.Index("ix_event_archive_event_name_event_time", "event_name", "event_time"),
    sa.Index("ix_event_archive_key", "key"),
    schema="outbox",
)

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.String(50), primary_key=True),
    sa.Column("event_id", sa.Uuid(as_uuid=False), primary_key=True),
    sa.Column("handled_at", UTCDateTime, nullable=False),
    # When each consumer handled one event (the operations page's "follow one click").
    sa.Index("ix_inbox_event_id", "event_id"),
    schema="outbox",
)

# One row per (consumer, event) relayed and not yet handled or buried: what the broker still owes
# each consumer. The consumer's inbox row (or dead letter) settles it and the relay then deletes
# it; a row not settled by `due_at` was lost by the broker (or by a crashed worker) and is sent
# again. The oldest unsettled `relayed_at` is the consumer's lag.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("consumer", sa.String(50), primary_key=True),
    sa.Column("event_id", sa.Uuid(as_uuid=False), primary_key=True),
    sa.Column("relayed_at", UTCDateTime, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("ix_deliveries_consumer_relayed_at", "consumer", "relayed_at"),
    schema="outbox",
)

# One letter per (consumer, event): a redelivery that fails again counts an attempt and keeps the
# last error. Messages without a readable event id are keyed by a fingerprint of their body.
dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("consumer", sa.String(50), nullable=False, index=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("event_name", sa.String(100), nullable=True),
    sa.Column("event_version", sa.Integer, nullable=True),
    sa.Column("message", Json, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("failed_at", UTCDateTime, nullable=False),
    sa.Column("replayed_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("consumer", "event_id"),
    # The operations page and `outbox status` read only the letters still waiting, by consumer.
    sa.Index(
        "ix_dead_letters_waiting",
        "consumer",
        "id",
        postgresql_where=sa.text("replayed_at IS NULL"),
        sqlite_where=sa.text("replayed_at IS NULL"),
    ),
    schema="outbox",
)
