"""`data`'s generators for the embedded default: the same rows, in SQLite's SQL.

SQLite keeps every schema in one file (`schema_translate_map`), so the statements name bare tables,
and run on the app's engine, which gives SQLite PostgreSQL's `gen_random_uuid()`.
"""

import re
import uuid

import sqlalchemy as sa

from ates.database import UTCDateTime, utcnow
from tests.benchmarks.data import CLOSE_BEYOND, GIVE_TASKS, PASSWORD, make_login

SCHEMA = re.compile(r"\b(auth|tracker|accounting|outbox)\.")
SERIES = "g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count)"
POOL = """pool AS (SELECT public_id, row_number() OVER (ORDER BY public_id) - 1 AS k
                   FROM assignees WHERE active AND role IN ('worker', 'accountant'))"""


def _run(engine: sa.Engine, sql: str, **values) -> None:
    now = sa.bindparam("now", utcnow(), type_=UTCDateTime)
    statement = sa.text(SCHEMA.sub("", sql))
    statement = statement.bindparams(now) if ":now" in sql else statement
    with engine.begin() as connection:
        connection.execute(statement, values)
        connection.exec_driver_sql("ANALYZE")  # as `data` analyzes what it loads


def add_parrots(engine: sa.Engine, count: int) -> None:
    _run(
        engine,
        f"""WITH RECURSIVE {SERIES}
            INSERT INTO assignees (public_id, login, full_name, role, active, version)
            SELECT gen_random_uuid(), 'parrot' || n, 'Parrot ' || n, 'worker', 1, 1 FROM g""",
        count=count,
    )
    _run(
        engine,
        """INSERT INTO ledger_accounts
               (public_id, login, full_name, email, role, active, version, balance, opened_at)
           SELECT public_id, login, full_name, login || '@uberpopug.example', role, 1, 1, 0, :now
           FROM assignees WHERE login LIKE 'parrot%'""",
    )


def add_open_tasks(engine: sa.Engine, count: int) -> None:
    _run(
        engine,
        f"""WITH RECURSIVE {SERIES}, {POOL}
            INSERT INTO tasks (public_id, title, jira_id, description, status, assignee,
                               assignment, created_by, created_at)
            SELECT gen_random_uuid(), 'Feed the parrots, round ' || n, NULL, '', 'open',
                   pool.public_id, 1, pool.public_id, :now
            FROM g JOIN pool ON pool.k = n % (SELECT count(*) FROM pool)""",
        count=count,
    )
    _run(
        engine,
        """INSERT INTO priced_tasks (public_id, title, jira_id, details_version, assign_fee,
                                     completion_reward, priced_at)
           SELECT public_id, 'Feed the parrots', NULL, 2, (10 + abs(random()) % 11) * 100,
                  (20 + abs(random()) % 21) * 100, :now
           FROM tasks WHERE public_id NOT IN (SELECT public_id FROM priced_tasks)""",
    )


def add_ledger_entries(engine: sa.Engine, count: int, days: int = 10) -> None:
    today = utcnow().date()
    _run(
        engine,
        f"""WITH RECURSIVE {SERIES},
            accounts AS (SELECT public_id, row_number() OVER (ORDER BY public_id) - 1 AS k
                         FROM ledger_accounts),
            priced AS (SELECT public_id, row_number() OVER (ORDER BY public_id) - 1 AS k
                       FROM priced_tasks)
            INSERT INTO ledger_entries (public_id, account_id, billing_day, kind, amount, task_id,
                                        cause_id, recorded_at)
            SELECT gen_random_uuid(), accounts.public_id,
                   date(:today, '-' || (n % :days) || ' days'),
                   CASE WHEN n % 3 = 0 THEN 'completion_reward' ELSE 'assign_fee' END,
                   CASE WHEN n % 3 = 0 THEN 3000 ELSE -1500 END, priced.public_id,
                   gen_random_uuid(), :now
            FROM g JOIN accounts ON accounts.k = n % (SELECT count(*) FROM accounts)
                   JOIN priced ON priced.k = n % (SELECT count(*) FROM priced)""",
        count=count,
        days=days,
        today=today.isoformat(),
    )
    _run(
        engine,
        """UPDATE ledger_accounts SET balance = coalesce(
               (SELECT sum(amount) FROM ledger_entries WHERE account_id = public_id), 0)""",
    )
    _run(engine, "DELETE FROM day_totals")
    _run(
        engine,
        """INSERT INTO day_totals (billing_day, shard, fees_charged, rewards_paid, payouts, entries)
           SELECT billing_day, 0,
                  sum(CASE WHEN kind = 'assign_fee' THEN -amount ELSE 0 END),
                  sum(CASE WHEN kind = 'completion_reward' THEN amount ELSE 0 END),
                  sum(CASE WHEN kind = 'payout' THEN -amount ELSE 0 END), count(*)
           FROM ledger_entries GROUP BY billing_day""",
    )


def know_login(engine: sa.Engine, public_id: str, role: str, login: str) -> None:
    """What tracker and accounting learn from account.created."""
    public_id = uuid.UUID(public_id).hex  # how SQLite stores a UUID column
    _run(
        engine,
        f"INSERT INTO assignees VALUES ('{public_id}', '{login}', 'Bench {role}', '{role}', 1, 1)",
    )
    _run(
        engine,
        f"""INSERT INTO ledger_accounts
                (public_id, login, full_name, email, role, active, version, balance, opened_at)
            VALUES ('{public_id}', '{login}', 'Bench {role}', '{login}@uberpopug.example',
                    '{role}', 1, 1, 0, :now)""",
    )


def give_tasks(engine: sa.Engine, login: str, count: int) -> None:
    _run(engine, GIVE_TASKS, login=login, count=count)


def vacuum_analyze(engine: sa.Engine, *_tables: str) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")


def close_open_tasks_beyond(engine: sa.Engine, keep: int) -> None:
    _run(engine, CLOSE_BEYOND, keep=keep)


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text(SCHEMA.sub("", sql)))


__all__ = ["PASSWORD", "make_login"]
