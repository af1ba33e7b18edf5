"""Day close for N accounts against set-based SQL that does the same to the same rows."""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from tests.benchmarks import data
from tests.benchmarks.harness import Bench, Row, Timer

# The same effect as the close, in plain SQL: claim payouts, zero balances, payout entries, and
# two outbox rows (ledger_entry.recorded, payment.made) per paid account.
BASELINE = [
    """
    INSERT INTO accounting.day_close_payouts (account_id, billing_day, amount, run_id, paid_at)
    SELECT public_id, CAST(:day AS date), balance, 'baseline', now()
    FROM accounting.ledger_accounts WHERE balance > 0 AND email IS NOT NULL
    """,
    """
    UPDATE accounting.ledger_accounts a SET balance = a.balance - p.amount
    FROM accounting.day_close_payouts p
    WHERE p.run_id = 'baseline' AND p.account_id = a.public_id
    """,
    """
    INSERT INTO accounting.ledger_entries
        (public_id, account_id, billing_day, kind, amount, task_id, cause_id, recorded_at)
    SELECT gen_random_uuid(), account_id, billing_day, 'payout', -amount, NULL,
           'close:' || billing_day, now()
    FROM accounting.day_close_payouts WHERE run_id = 'baseline'
    """,
    """
    INSERT INTO outbox.events (event_id, event_name, event_version, event_time, producer, key, data)
    SELECT gen_random_uuid(), e.name, 1, now(), 'accounting', p.account_id::text,
           jsonb_build_object('account', p.account_id, 'amount', p.amount,
                              'billing_day', p.billing_day)
    FROM accounting.day_close_payouts p
    CROSS JOIN (VALUES ('ledger_entry.recorded'), ('payment.made')) AS e(name)
    WHERE p.run_id = 'baseline'
    """,
]


def row_day_close(bench: Bench, accounts: int) -> None:
    from domains.accounting.day_close import close_day

    runtime = bench.runtime()
    engine = bench.engine()
    if not data.count(engine, "SELECT count(*) FROM accounting.ledger_accounts"):
        data.add_parrots(engine, accounts)
    day = date.today() + timedelta(days=30)  # a day nobody closed yet
    with engine.begin() as connection:  # every account in the black, so every one is paid
        connection.exec_driver_sql(
            "UPDATE accounting.ledger_accounts SET balance = 1000 + (random() * 5000)::int"
        )
    paying = data.count(engine, "SELECT count(*) FROM accounting.ledger_accounts WHERE balance > 0")
    with Timer() as base:
        connection = engine.connect()
        transaction = connection.begin()
        for statement in BASELINE:
            connection.execute(sa.text(statement), {"day": day})
    transaction.rollback()  # undo it, so the close finds the same rows
    connection.close()
    with Timer() as ours, runtime.db.transaction() as session:
        result = close_day(session, day, datetime.now(UTC))
    if result.paid != paying:
        raise AssertionError(f"the close paid {result.paid} of {paying} accounts")
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE outbox.events")
    bench.add(
        Row(
            f"day close for {paying:,} accounts (every one paid)",
            ours.seconds,
            "s",
            "set-based SQL over the same rows",
            base.seconds,
            "<= 3x",
        )
    )
