"""Data generators: set-based SQL inserts for parrots, tasks, prices and ledger entries."""

import sqlalchemy as sa

from ates.database import utcnow

PASSWORD = "bench-popug-password"


def add_parrots(engine: sa.Engine, count: int) -> None:
    """`count` eligible workers known to the tracker, and their ledger accounts (payable)."""
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                """
                CREATE TEMP TABLE bench_parrots AS
                SELECT gen_random_uuid() AS public_id, g AS n
                FROM generate_series(1, CAST(:count AS integer)) AS g
                """
            ),
            {"count": count},
        )
        connection.execute(
            sa.text(
                """
                INSERT INTO tracker.assignees (public_id, login, full_name, role, active, version)
                SELECT public_id, 'parrot' || n, 'Parrot ' || n, 'worker', true, 1
                FROM bench_parrots
                """
            )
        )
        connection.execute(
            sa.text(
                """
                INSERT INTO accounting.ledger_accounts
                    (public_id, login, full_name, email, role, active, version, balance, opened_at)
                SELECT public_id, 'parrot' || n, 'Parrot ' || n,
                       'parrot' || n || '@uberpopug.example', 'worker', true, 1, 0, now()
                FROM bench_parrots
                """
            )
        )
        connection.exec_driver_sql("ANALYZE tracker.assignees")
        connection.exec_driver_sql("ANALYZE accounting.ledger_accounts")


def add_open_tasks(engine: sa.Engine, count: int) -> None:
    """`count` open tasks spread over the eligible parrots, each priced by accounting."""
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                """
                WITH pool AS (
                    SELECT array_agg(public_id ORDER BY public_id) AS ids, count(*) AS size
                    FROM tracker.assignees WHERE active AND role IN ('worker', 'accountant')
                ), added AS (
                    INSERT INTO tracker.tasks (public_id, title, jira_id, description, status,
                                               assignee, assignment, created_by, created_at)
                    SELECT gen_random_uuid(), 'Feed the parrots, round ' || g, NULL, '', 'open',
                           pool.ids[1 + g % pool.size], 1, pool.ids[1], now()
                    FROM generate_series(1, CAST(:count AS integer)) AS g, pool
                    RETURNING public_id
                )
                INSERT INTO accounting.priced_tasks
                    (public_id, title, jira_id, details_version, assign_fee, completion_reward,
                     priced_at)
                SELECT public_id, 'Feed the parrots', NULL, 2, (10 + floor(random() * 11)) * 100,
                       (20 + floor(random() * 21)) * 100, now()
                FROM added
                """
            ),
            {"count": count},
        )
        connection.exec_driver_sql("ANALYZE tracker.tasks")


def add_ledger_entries(engine: sa.Engine, count: int, days: int = 10) -> None:
    """`count` fees and rewards over the last `days` billing days, balances and day totals
    to match."""
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                """
                WITH accounts AS (
                    SELECT array_agg(public_id ORDER BY public_id) AS ids, count(*) AS size
                    FROM accounting.ledger_accounts
                ), tasks AS (
                    SELECT array_agg(public_id ORDER BY public_id) AS ids, count(*) AS size
                    FROM accounting.priced_tasks
                )
                INSERT INTO accounting.ledger_entries
                    (public_id, account_id, billing_day, kind, amount, task_id, cause_id,
                     recorded_at)
                SELECT gen_random_uuid(), accounts.ids[1 + g % accounts.size],
                       current_date - (g % CAST(:days AS integer)),
                       CASE WHEN g % 3 = 0 THEN 'completion_reward' ELSE 'assign_fee' END,
                       CASE WHEN g % 3 = 0 THEN 3000 ELSE -1500 END,
                       tasks.ids[1 + g % tasks.size], gen_random_uuid()::text, now()
                FROM generate_series(1, CAST(:count AS integer)) AS g, accounts, tasks
                """
            ),
            {"count": count, "days": days},
        )
        connection.exec_driver_sql(
            """
            UPDATE accounting.ledger_accounts a SET balance = s.total
            FROM (SELECT account_id, sum(amount) AS total FROM accounting.ledger_entries
                  GROUP BY account_id) s
            WHERE a.public_id = s.account_id
            """
        )
        connection.exec_driver_sql(
            """
            DELETE FROM accounting.day_totals;
            INSERT INTO accounting.day_totals
                (billing_day, shard, fees_charged, rewards_paid, payouts, entries)
            SELECT billing_day, 0,
                   sum(CASE WHEN kind = 'assign_fee' THEN -amount ELSE 0 END),
                   sum(CASE WHEN kind = 'completion_reward' THEN amount ELSE 0 END),
                   sum(CASE WHEN kind = 'payout' THEN -amount ELSE 0 END), count(*)
            FROM accounting.ledger_entries GROUP BY billing_day
            """
        )
        connection.exec_driver_sql("ANALYZE accounting.ledger_entries")
        connection.exec_driver_sql("ANALYZE accounting.ledger_accounts")


def make_login(runtime, role: str, login: str):
    """A real account through auth's command (password hashed), known to tracker and accounting."""
    from domains.auth import commands as auth_commands

    with runtime.db.transaction() as session:
        account = auth_commands.create_account(
            session,
            role=role,
            login=login,
            full_name=f"Bench {role}",
            email=f"{login}@uberpopug.example",
            password=PASSWORD,
        )
    return account


def know_login(engine: sa.Engine, public_id: str, role: str, login: str) -> None:
    """What tracker and accounting learn from account.created."""
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"""INSERT INTO tracker.assignees VALUES
                ('{public_id}', '{login}', 'Bench {role}', '{role}', true, 1)"""
        )
        connection.exec_driver_sql(
            f"""INSERT INTO accounting.ledger_accounts
                (public_id, login, full_name, email, role, active, version, balance, opened_at)
                VALUES ('{public_id}', '{login}', 'Bench {role}',
                        '{login}@uberpopug.example', '{role}', true, 1, 0, now())"""
        )


# A worker's share of the tasks: about as many as anyone's.
GIVE_TASKS = """
UPDATE tracker.tasks SET assignee = (SELECT public_id FROM tracker.assignees WHERE login = :login)
WHERE id IN (SELECT id FROM tracker.tasks ORDER BY id LIMIT :count)
"""


def give_tasks(engine: sa.Engine, login: str, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(GIVE_TASKS), {"login": login, "count": count})


def vacuum_analyze(engine: sa.Engine, *tables: str) -> None:
    """VACUUM ANALYZE (outside a transaction, as it must run)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


# The open tasks past the first `keep` marked done: a row needs exactly so many open.
CLOSE_BEYOND = """
UPDATE tracker.tasks SET status = 'done', completed_at = :now
WHERE status = 'open'
  AND id NOT IN (SELECT id FROM tracker.tasks WHERE status = 'open' ORDER BY id LIMIT :keep)
"""


def close_open_tasks_beyond(engine: sa.Engine, keep: int) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(CLOSE_BEYOND), {"keep": keep, "now": utcnow()})


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text(sql))
