"""Accounting: company totals per billing day (kept with the entries), balances index

Revision ID: accounting_0002
Revises: accounting_0001
Create Date: 2026-11-25 11:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "accounting_0002"
down_revision = "accounting_0001"
branch_labels = None
depends_on = None

Cents = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    day_totals = op.create_table(
        "day_totals",
        sa.Column("billing_day", sa.Date(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("fees_charged", Cents, nullable=False),
        sa.Column("rewards_paid", Cents, nullable=False),
        sa.Column("payouts", Cents, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("billing_day", "shard", name=op.f("pk_day_totals")),
        schema="accounting",
    )
    # The books so far, into shard 0. (A lightweight table is not schema-translated: on SQLite
    # every schema is the main database.)
    sqlite = op.get_bind().dialect.name == "sqlite"
    entries = sa.table(
        "ledger_entries",
        sa.column("billing_day", sa.Date),
        sa.column("kind", sa.String),
        sa.column("amount", Cents),
        schema=None if sqlite else "accounting",
    )

    def total(kind, sign):
        return sa.func.coalesce(
            sa.func.sum(sa.case((entries.c.kind == kind, sign * entries.c.amount), else_=0)), 0
        )

    op.execute(
        day_totals.insert().from_select(
            ["billing_day", "shard", "fees_charged", "rewards_paid", "payouts", "entries"],
            sa.select(
                entries.c.billing_day,
                sa.literal(0),
                total("assign_fee", -1),
                total("completion_reward", 1),
                total("payout", -1),
                sa.func.count(),
            ).group_by(entries.c.billing_day),
        )
    )
    op.create_index(
        "ix_ledger_accounts_balance_login",
        "ledger_accounts",
        ["balance", "login", "public_id"],
        unique=False,
        schema="accounting",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_ledger_accounts_balance_login", table_name="ledger_accounts", schema="accounting"
    )
    op.drop_table("day_totals", schema="accounting")
