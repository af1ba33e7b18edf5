"""Accounting figures: handler throughput, the day close, streamed reports.

    python -m tests.benchmarks.domains.accounting [--accounts 10000] [--entries 200000]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/<scratch> \
        python -m tests.benchmarks.domains.accounting

Runs against a fresh SQLite file (default) or the given PostgreSQL database (its accounting
tables are emptied first). Not part of the test run.
"""

import argparse
import os
import random
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from ates.bootstrap import start
from ates.settings import load_settings
from domains.accounting import day_close
from domains.accounting.tables import (
    day_close_payouts,
    day_closes,
    ledger_accounts,
    ledger_entries,
    priced_tasks,
)
from migrations import upgrade
from outbox.consumers import apply_batch
from outbox.events import Event
from outbox.tables import events, inbox
from web.accounting_reports import build

DAY = date(2026, 11, 20)
ACCOUNTING = (ledger_entries, day_close_payouts, day_closes, priced_tasks, ledger_accounts)
MOMENT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def timed(label, fn):
    started = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - started:.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    upgrade(url)
    runtime = start(load_settings(database_url=url, broker_url=None, secret_key="bench"))
    db = runtime.db
    with db.transaction() as session:
        for table in (*ACCOUNTING, inbox, events):
            session.execute(sa.delete(table))
    print(f"backend: {db.engine.dialect.name}")

    parrots = [str(uuid.uuid4()) for _ in range(200)]
    messages = []
    for _ in range(args.events // 2):
        task = str(uuid.uuid4())
        data = {"public_id": task, "assignee": random.choice(parrots), "assignment": 1}
        messages.append(
            Event("task.assigned", 1, "tracker", task, data | {"assigned_at": MOMENT.isoformat()})
        )
        done = {"public_id": task, "assignee": data["assignee"]}
        messages.append(
            Event("task.completed", 1, "tracker", task, done | {"completed_at": MOMENT.isoformat()})
        )
    batches = [
        [m.to_message() for m in messages[i : i + 100]] for i in range(0, len(messages), 100)
    ]

    def consume():
        for batch in batches:
            apply_batch(db, "accounting", batch)

    elapsed = time.perf_counter()
    consume()
    elapsed = time.perf_counter() - elapsed
    print(f"handlers: {len(messages)} events in {elapsed:.2f} s = {len(messages) / elapsed:.0f}/s")

    seed(db, args.accounts, args.entries)
    result = timed(
        f"day close, {args.accounts} accounts",
        lambda: close(db),
    )
    print(f"  paid {result.paid}, total {result.total} cents")
    again = timed("day close again (nothing to pay)", lambda: close(db))
    assert again.paid == 0
    for report, fmt in (("ledger", "csv"), ("ledger", "xlsx"), ("days", "csv")):
        tracemalloc.start()
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in build(db, report, fmt, DAY - timedelta(1), DAY))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"report {report}.{fmt}: {size / 1e6:.1f} MB in {time.perf_counter() - started:.2f} s,"
            f" peak Python memory {peak / 1e6:.1f} MB"
        )


def close(db):
    with db.transaction() as session:
        return day_close.close_day(session, DAY, datetime.now(UTC))


def seed(db, accounts: int, entries: int) -> None:
    """Accounts with random balances and their entries, inserted in bulk."""
    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()) for _ in range(accounts)]
    amounts = [[] for _ in ids]
    rows = []
    for n in range(entries):
        who = n % accounts
        amount = random.choice((-1, 1)) * random.randint(1000, 4000)
        amounts[who].append(amount)
        rows.append(
            {
                "public_id": str(uuid.uuid4()),
                "account_id": ids[who],
                "billing_day": DAY,
                "kind": "assign_fee" if amount < 0 else "completion_reward",
                "amount": amount,
                "task_id": None,
                "cause_id": str(uuid.uuid4()),
                "recorded_at": now,
            }
        )
    with db.transaction() as session:
        session.execute(
            sa.insert(ledger_accounts),
            [
                {
                    "public_id": account,
                    "login": f"p{n}",
                    "full_name": f"Parrot {n}",
                    "email": f"p{n}@uberpopug.example",
                    "role": "worker",
                    "active": True,
                    "version": 1,
                    "balance": sum(amounts[n]),
                    "opened_at": now,
                }
                for n, account in enumerate(ids)
            ],
        )
        for i in range(0, len(rows), 10_000):
            session.execute(sa.insert(ledger_entries), rows[i : i + 10_000])


if __name__ == "__main__":
    main()
