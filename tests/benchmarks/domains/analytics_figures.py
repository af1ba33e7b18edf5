"""How long the analytics figures take over a year of a big company's facts.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_analytics \
        python -m tests.benchmarks.domains.analytics_figures [parrots] [entries_per_day] [days]

Creates the schema in the given (scratch) database, fills the analytics tables directly (the
handlers are one upsert each; this measures the reads), then times every dashboard query.
Without DATABASE_URL it uses a temporary SQLite file.
"""

import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from ates.bootstrap import load_domains, open_database
from ates.database import Database
from domains.analytics import queries
from domains.analytics.tables import accounts, balances, ledger_entries, tasks
from migrations import upgrade

CHUNK = 10_000


def fill(db: Database, parrots: int, per_day: int, days: int, today: date) -> None:
    rng = random.Random(42)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(parrots)]
    with db.transaction() as session:
        session.execute(
            sa.insert(accounts),
            [
                {
                    "public_id": p,
                    "login": f"p{n}",
                    "full_name": f"Parrot {n}",
                    "role": "worker",
                    "active": True,
                    "version": 1,
                }
                for n, p in enumerate(ids)
            ],
        )
    entries, done = [], []
    for back in range(days):
        day = today - timedelta(days=back)
        for _ in range(per_day):
            task = str(uuid.UUID(int=rng.getrandbits(128)))
            who = rng.choice(ids)
            entries.append(_entry(who, "assign_fee", -rng.randint(10, 20) * 100, day, task))
            if rng.random() < 0.5:
                reward = rng.randint(20, 40) * 100
                entries.append(_entry(who, "completion_reward", reward, day, task))
                at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
                done.append(
                    {
                        "public_id": task,
                        "title": "Task",
                        "created_version": 2,
                        "completed_by": who,
                        "completed_at": at,
                        "completed_day": day,
                        "completion_reward": reward,
                    }
                )
        if len(entries) >= CHUNK:
            _flush(db, entries, done)
    _flush(db, entries, done)
    with db.transaction() as session:  # what the handler adds entry by entry, in one go
        e = ledger_entries.c
        session.execute(
            sa.insert(balances).from_select(
                ["account", "balance"],
                sa.select(e.account, sa.func.sum(e.amount)).group_by(e.account),
            )
        )


def _entry(account, kind, amount, day, task):
    return {
        "entry_id": str(uuid.uuid4()),
        "account": account,
        "kind": kind,
        "amount": amount,
        "billing_day": day,
        "task": task,
    }


def _flush(db, entries, done):
    with db.transaction() as session:
        if entries:
            session.execute(sa.insert(ledger_entries), entries)
        if done:
            session.execute(sa.insert(tasks), done)
    entries.clear()
    done.clear()


def timed(label, fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<40} {best * 1000:8.1f} ms")


def main() -> None:
    parrots, per_day, days = (
        int(a) for a in (sys.argv[1:] + ["1000", "2000", "365"][len(sys.argv[1:]) :])
    )
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    load_domains()
    upgrade(url)
    db = open_database(url)
    today = date(2026, 11, 25)
    started = time.perf_counter()
    fill(db, parrots, per_day, days, today)
    with db.transaction() as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(ledger_entries))
        if not db.is_sqlite:
            session.execute(sa.text("ANALYZE"))
    print(
        f"{count} entries, {parrots} parrots, {days} days; filled in "
        f"{time.perf_counter() - started:.0f} s ({url.split(':')[0]})"
    )
    with db.transaction() as session:
        timed("today_figures", lambda: queries.today_figures(session, today))
        timed("management_earnings(today)", lambda: queries.management_earnings(session, today))
        timed("parrots_in_the_red(today)", lambda: queries.parrots_in_the_red(session, today))
        start = today - timedelta(days=91)
        timed("range_figures(92 days)", lambda: queries.range_figures(session, start, today))
        timed(
            "most_expensive_task(month)",
            lambda: queries.most_expensive_task(session, today.replace(day=1), today),
        )
    db.dispose()


if __name__ == "__main__":
    main()
