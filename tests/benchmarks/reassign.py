"""Reassign of N open tasks against one raw UPDATE plus one bulk INSERT of N outbox rows, on
PostgreSQL (row 2) or SQLite (row 9)."""

import sqlalchemy as sa

from ates.database import utcnow
from tests.benchmarks.harness import Bench, Row, Timer

BASELINE_UPDATE = """
UPDATE tracker.tasks
SET assignee = (ARRAY(SELECT public_id FROM tracker.assignees
                      WHERE active AND role IN ('worker', 'accountant')))
               [1 + floor(random() * :pool)],
    assignment = assignment + 1
WHERE status = 'open'
"""

BASELINE_INSERT = """
INSERT INTO outbox.events (event_id, event_name, event_version, event_time, producer, key, data)
SELECT gen_random_uuid(), 'task.assigned', 1, now(), 'tracker', public_id::text,
       jsonb_build_object('public_id', public_id, 'assignee', assignee,
                          'assignment', assignment, 'assigned_at', now())
FROM tracker.tasks WHERE status = 'open'
"""


# SQLite: the pool numbered in a temporary table; the draw names the task so that it is made
# per row (an uncorrelated subquery runs once).
SQLITE_POOL = (
    "CREATE TEMP TABLE IF NOT EXISTS bench_pool (k INTEGER PRIMARY KEY, public_id)",
    """INSERT OR REPLACE INTO bench_pool
       SELECT row_number() OVER (ORDER BY public_id) - 1, public_id FROM assignees
       WHERE active AND role IN ('worker', 'accountant')""",
)

SQLITE_UPDATE = """
UPDATE tasks
SET assignee = (SELECT public_id FROM bench_pool WHERE k = abs(random() + 0 * tasks.id) % :pool),
    assignment = assignment + 1
WHERE status = 'open'
"""

SQLITE_INSERT = """
INSERT INTO events (event_id, event_name, event_version, event_time, producer, key, data)
SELECT gen_random_uuid(), 'task.assigned', 1, :now, 'tracker', public_id,
       json_object('public_id', public_id, 'assignee', assignee,
                   'assignment', assignment, 'assigned_at', :now)
FROM tasks WHERE status = 'open'
"""

BASELINE = {
    "postgresql": (BASELINE_UPDATE, BASELINE_INSERT),
    "sqlite": (*SQLITE_POOL, SQLITE_UPDATE, SQLITE_INSERT),
}


def open_tasks(bench: Bench) -> int:
    return bench.data.count(
        bench.engine(), "SELECT count(*) FROM tracker.tasks WHERE status = 'open'"
    )


def exactly_open(bench: Bench, count: int) -> None:
    """`count` open tasks: more added, or the extra ones done (row 10's pages leave many)."""
    have = open_tasks(bench)
    if have < count:
        bench.data.add_open_tasks(bench.engine(), count - have)
    elif have > count:
        bench.data.close_open_tasks_beyond(bench.engine(), count)


def forget_events(engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DELETE FROM events")
            connection.exec_driver_sql("DELETE FROM event_archive")
        else:
            connection.exec_driver_sql("TRUNCATE outbox.events, outbox.event_archive")


def baseline(bench: Bench) -> float:
    engine = bench.engine()
    pool = bench.data.count(
        engine,
        "SELECT count(*) FROM tracker.assignees WHERE active AND role IN ('worker', 'accountant')",
    )
    values = {"pool": pool, "now": utcnow().isoformat()}
    with Timer() as timer, engine.begin() as connection:
        for statement in BASELINE[engine.dialect.name]:
            text = sa.text(statement)
            connection.execute(text, {k: v for k, v in values.items() if f":{k}" in statement})
    return timer.seconds


def reassign_command(runtime) -> tuple[float, int]:
    from domains.tracker.commands import reassign_open_tasks

    with Timer() as timer, runtime.db.transaction() as session:
        moved = reassign_open_tasks(session)
    return timer.seconds, moved


def row_reassign(bench: Bench, count: int, where: str = "") -> None:
    """Exactly `count` open tasks (set-based), then time both ways once each."""
    runtime = bench.runtime()
    engine = bench.engine()
    if not bench.data.count(engine, "SELECT count(*) FROM tracker.assignees"):
        bench.data.add_parrots(engine, bench.parrots)
    exactly_open(bench, count)
    forget_events(engine)
    base = baseline(bench)
    forget_events(engine)
    ours, moved = reassign_command(runtime)
    if moved != count:
        raise AssertionError(f"Reassign moved {moved} of {count} open tasks")
    forget_events(engine)
    bench.add(
        Row(
            f"Reassign of {count:,} open tasks (command, commit included){where}",
            ours,
            "s",
            "raw UPDATE + bulk INSERT of as many outbox rows",
            base,
            "<= 2x",
        )
    )
