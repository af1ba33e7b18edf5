"""The analytics schema: facts copied from events, keyed by their ids, figures computed in queries.

Each table holds facts that an event states once (an entry, a task's title, its completion, its
price, an account's newest version), so applying an event twice or out of order stores the same
row. Figures are read with indexed queries; the one running sum, `analytics_balances`, is added
to only by the statement that stored a new entry, so it stays exact too.
"""

import sqlalchemy as sa

from ates.database import UTCDateTime, metadata

Id = sa.Uuid(as_uuid=False)
Cents = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # a year of a big company fits

accounts = sa.Table(
    "analytics_accounts",
    metadata,
    sa.Column("public_id", Id, primary_key=True),
    sa.Column("login", sa.String(64), nullable=False),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    # auth's account version: only a higher one replaces the row.
    sa.Column("version", sa.Integer, nullable=False),
    schema="analytics",
)

tasks = sa.Table(
    "analytics_tasks",
    metadata,
    sa.Column("public_id", Id, primary_key=True),
    # From task.created (null until it arrives); `created_version` lets v2 win over v1.
    sa.Column("title", sa.String(200), nullable=True),
    sa.Column("jira_id", sa.String(32), nullable=True),
    sa.Column("created_version", sa.Integer, nullable=True),
    # From task.completed.
    sa.Column("completed_by", Id, nullable=True),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    sa.Column("completed_day", sa.Date, nullable=True),  # local, in the company's time zone
    # From task.priced, in cents.
    sa.Column("completion_reward", Cents, nullable=True),
    # The most expensive task of a period: a range on the day, then the highest reward.
    sa.Index("ix_analytics_tasks_completed_day_reward", "completed_day", "completion_reward"),
    schema="analytics",
)

ledger_entries = sa.Table(
    "analytics_ledger_entries",
    metadata,
    sa.Column("entry_id", Id, primary_key=True),
    sa.Column("account", Id, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # assign_fee, completion_reward, payout
    sa.Column("amount", Cents, nullable=False),  # signed cents, as it moves the balance
    sa.Column("billing_day", sa.Date, nullable=False),
    sa.Column("task", Id, nullable=True),
    # Earnings per day (fees and rewards of a range of days), and entries dated after a day.
    sa.Index("ix_analytics_ledger_entries_day_kind", "billing_day", "kind", "amount"),
    schema="analytics",
)

# Every parrot's balance over all the entries stored so far. Only an entry's first insert adds
# its amount (see handlers), in the same transaction, so duplicates and order change nothing.
# "In the red today" then reads one row per parrot instead of every entry ever recorded.
balances = sa.Table(
    "analytics_balances",
    metadata,
    sa.Column("account", Id, primary_key=True),
    sa.Column("balance", Cents, nullable=False),
    schema="analytics",
)
