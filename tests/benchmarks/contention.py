"""A backlog for a dozen ledger accounts against the same backlog spread over 10,000.

The Procfile's worker shape (2 processes x 8 threads) and the app's relay drain a mixed backlog
(tasks created, several Reassigns' fees, completions' rewards, accounts renamed) published in
one commit, as after an outage. A dozen parrots means every batch writes the same few ledger
rows; the goal is that this contention costs at most half the speed.
"""

import time

import sqlalchemy as sa

from tests.benchmarks.harness import Bench, Row, Timer, wait_for_log
from tests.company_backlog import mixed_backlog

REASSIGNS = 4
SCHEMAS = ("accounting", "analytics", "sender", "outbox")


def row_contention(bench: Bench, tasks: int, accounts: int) -> None:
    few = drain(bench, 12, tasks)
    many = drain(bench, accounts, tasks)
    bench.add(
        Row(
            f"mixed backlog drained by 2 x 8 workers, 12 accounts ({few['events']:,} events)",
            few["rate"],
            "events/s",
            f"the same for {accounts:,} accounts",
            many["rate"],
            ">= 0.5x",
            notes=f"{few['seconds']:.0f} s vs {many['seconds']:.0f} s; PostgreSQL deadlocks "
            f"{few['deadlocks']} and {many['deadlocks']}",
        )
    )


def drain(bench: Bench, accounts: int, tasks: int) -> dict:
    """Seconds from the backlog's commit until accounting and analytics hold all of it."""
    engine = bench.engine()
    empty_the_domains(engine)
    bench.flush_redis()
    backlog = mixed_backlog(accounts, tasks, REASSIGNS)
    opened = [e for e in backlog.events if e.event_name == "account.created"]
    work = [e for e in backlog.events if e.event_name != "account.created"]
    entries = len(backlog.fees) + len(backlog.rewards)
    db = bench.runtime().db
    name = f"contention-{accounts}"
    with (
        bench.worker("ates.worker", f"{name}-worker", processes=2, threads=8),
        bench.python("tests.benchmarks.relay", f"{name}-relay", "app"),
    ):
        wait_for_log(bench.log(f"{name}-worker"), "is ready for action", 60)
        wait_for_log(bench.log(f"{name}-relay"), "relay ready", 60)
        publish(db, opened)  # the parrots are known before the outage: not timed
        wait_until_held(engine, accounts=accounts, entries=0, tasks=0)
        before = deadlocks(engine)
        publish(db, work)
        with Timer() as timer:
            wait_until_held(engine, accounts=accounts, entries=entries, tasks=tasks)
    time.sleep(1)  # the workers' connections have closed and reported their statistics
    return {
        "events": len(work),
        "seconds": timer.seconds,
        "rate": len(work) / timer.seconds,
        "deadlocks": deadlocks(engine) - before,
    }


def publish(db, events) -> None:
    from outbox import publish_events

    with db.transaction() as session:
        publish_events(session, events)


HELD = """
SELECT (SELECT count(*) FROM accounting.ledger_accounts),
       (SELECT count(*) FROM accounting.ledger_entries),
       (SELECT count(*) FROM analytics.analytics_ledger_entries),
       (SELECT count(*) FROM analytics.analytics_tasks WHERE completion_reward IS NOT NULL),
       (SELECT count(*) FROM outbox.events WHERE relayed_at IS NULL)
"""


def wait_until_held(engine, *, accounts: int, entries: int, tasks: int) -> None:
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            held = tuple(connection.execute(sa.text(HELD)).one())
        if held[0] >= accounts and held[1:] == (entries, entries, tasks, 0):
            return
        time.sleep(0.2)
    raise TimeoutError(f"the backlog did not drain: {held}")


def deadlocks(engine) -> int:
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return connection.scalar(
            sa.text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )


def empty_the_domains(engine) -> None:
    with engine.begin() as connection:
        tables = connection.scalars(
            sa.text(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname = ANY(:schemas) AND tablename NOT LIKE 'alembic%'"
            ),
            {"schemas": list(SCHEMAS)},
        ).all()
        connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
