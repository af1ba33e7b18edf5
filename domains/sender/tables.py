"""The sent log: one row per payment, so each payout is e-mailed once however often it arrives;
and the language each parrot reads it in."""

import sqlalchemy as sa

from ates.database import UTCDateTime, metadata

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Cents = BigId

# queued: recorded, its send under way in the same transaction; then sent, or failed (retried).
STATUSES = ("queued", "sent", "failed")

emails = sa.Table(
    "emails",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("payment_id", sa.Uuid(as_uuid=False), nullable=False, unique=True),
    sa.Column("account", sa.Uuid(as_uuid=False), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("amount", Cents, nullable=False),  # cents
    sa.Column("billing_day", sa.Date, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_attempt_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    schema="sender",
)

# The language each parrot chose for their e-mails (account.language_chosen); the highest account
# version seen wins whatever the delivery order. No row, or None: English.
languages = sa.Table(
    "languages",
    metadata,
    sa.Column("account", sa.Uuid(as_uuid=False), primary_key=True),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    schema="sender",
)
