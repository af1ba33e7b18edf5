"""Accounting's own tables: copies of accounts and tasks, prices, the ledger, the day closes."""

import sqlalchemy as sa

from ates.database import UTCDateTime, metadata

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Cents = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PublicId = sa.Uuid(as_uuid=False)

# One ledger account per parrot, made the first time any event names it. The account's details
# arrive with auth's events (whole account + version: the highest version wins); until then
# they are empty. `balance` is the running sum of the parrot's entries, moved in the same
# transaction as each entry.
ledger_accounts = sa.Table(
    "ledger_accounts",
    metadata,
    sa.Column("public_id", PublicId, primary_key=True),
    sa.Column("login", sa.String(64), nullable=True),
    sa.Column("full_name", sa.String(200), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("role", sa.String(20), nullable=True),
    sa.Column("active", sa.Boolean, nullable=True),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("balance", Cents, nullable=False, server_default="0"),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    # The dashboard's balances, lowest first, a page at a time: no sort of every account.
    sa.Index("ix_ledger_accounts_balance_login", "balance", "login", "public_id"),
    schema="accounting",
)

# Accounting's copy of a task and its price, fixed once when accounting first sees the task.
# Title and Jira id arrive with task.created (v1 carries the Jira id in the title, v2 apart);
# `details_version` keeps the newest event version's reading.
priced_tasks = sa.Table(
    "priced_tasks",
    metadata,
    sa.Column("public_id", PublicId, primary_key=True),
    sa.Column("title", sa.String(200), nullable=True),
    sa.Column("jira_id", sa.String(32), nullable=True),
    sa.Column("details_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("assign_fee", Cents, nullable=False),
    sa.Column("completion_reward", Cents, nullable=False),
    sa.Column("priced_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("assign_fee BETWEEN 1000 AND 2000", name="assign_fee_range"),
    sa.CheckConstraint("completion_reward BETWEEN 2000 AND 4000", name="reward_range"),
    schema="accounting",
)

# Append-only: rows are inserted, never updated or deleted. `amount` is signed cents as it moves
# the parrot's balance (fee and payout negative, reward positive). The causing event, with the
# kind and the account, is unique, so a redelivered event adds nothing.
ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("public_id", PublicId, nullable=False, unique=True),
    sa.Column("account_id", PublicId, nullable=False),
    sa.Column("billing_day", sa.Date, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("amount", Cents, nullable=False),
    sa.Column("task_id", PublicId, nullable=True),
    sa.Column("cause_id", sa.String(64), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("cause_id", "kind", "account_id"),
    sa.CheckConstraint("kind IN ('assign_fee', 'completion_reward', 'payout')", name="kind_known"),
    sa.Index("ix_ledger_entries_account_day", "account_id", "billing_day"),
    sa.Index("ix_ledger_entries_day", "billing_day"),
    schema="accounting",
)

# The company's totals per billing day, moved in the same transaction as the entries they count
# (what the dashboard and the per-day report read instead of summing a million entries). Each
# transaction adds to one of SHARDS rows per day, drawn at random, so concurrent consumers rarely
# wait on the same row; a day's totals are the sums over its shards.
DAY_TOTAL_SHARDS = 16
day_totals = sa.Table(
    "day_totals",
    metadata,
    sa.Column("billing_day", sa.Date, primary_key=True),
    sa.Column("shard", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("fees_charged", Cents, nullable=False),  # positive cents
    sa.Column("rewards_paid", Cents, nullable=False),  # positive cents
    sa.Column("payouts", Cents, nullable=False),  # positive cents
    sa.Column("entries", sa.Integer, nullable=False),
    schema="accounting",
)

# A billing day once its close has run (once: a close is final): later entries dated that day
# go to the next open day. `closed_by` is the accountant or admin who pressed it, NULL for the
# schedule; `early` marks a close before the day's scheduled time.
day_closes = sa.Table(
    "day_closes",
    metadata,
    sa.Column("billing_day", sa.Date, primary_key=True),
    sa.Column("closed_at", UTCDateTime, nullable=False),
    sa.Column("closed_by", PublicId, nullable=True),
    sa.Column("early", sa.Boolean, nullable=False, server_default=sa.false()),
    schema="accounting",
)

# At most one payout per account per billing day, whatever runs the close and however often.
day_close_payouts = sa.Table(
    "day_close_payouts",
    metadata,
    sa.Column("account_id", PublicId, primary_key=True),
    sa.Column("billing_day", sa.Date, primary_key=True),
    sa.Column("amount", Cents, nullable=False),
    sa.Column("run_id", sa.String(36), nullable=False, index=True),
    sa.Column("paid_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("amount > 0", name="positive"),
    schema="accounting",
)

# A scheduled close that failed (the books behind, the database unreachable): retried every few
# minutes until the day is closed, and shown on the operations page meanwhile.
scheduled_close_failures = sa.Table(
    "scheduled_close_failures",
    metadata,
    sa.Column("billing_day", sa.Date, primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("failed_at", UTCDateTime, nullable=False),
    schema="accounting",
)
