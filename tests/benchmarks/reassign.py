"""Reassign of N open tasks against one raw UPDATE plus one bulk INSERT of N outbox rows."""

import sqlalchemy as sa

from tests.benchmarks import data
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


def open_tasks(engine) -> int:
    return data.count(engine, "SELECT count(*) FROM tracker.tasks WHERE status = 'open'")


def forget_events(engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE outbox.events, outbox.event_archive")


def baseline(engine) -> float:
    pool = data.count(
        engine,
        "SELECT count(*) FROM tracker.assignees WHERE active AND role IN ('worker', 'accountant')",
    )
    with Timer() as timer, engine.begin() as connection:
        connection.execute(sa.text(BASELINE_UPDATE), {"pool": pool})
        connection.execute(sa.text(BASELINE_INSERT))
    return timer.seconds


def reassign_command(runtime) -> tuple[float, int]:
    from domains.tracker.commands import reassign_open_tasks

    with Timer() as timer, runtime.db.transaction() as session:
        moved = reassign_open_tasks(session)
    return timer.seconds, moved


def row_reassign(bench: Bench, count: int) -> None:
    """Top the open tasks up to `count` (set-based), then time both ways once each."""
    runtime = bench.runtime()
    engine = bench.engine()
    if not data.count(engine, "SELECT count(*) FROM tracker.assignees"):
        data.add_parrots(engine, bench.parrots)
    have = open_tasks(engine)
    if have < count:
        data.add_open_tasks(engine, count - have)
    forget_events(engine)
    base = baseline(engine)
    forget_events(engine)
    ours, moved = reassign_command(runtime)
    if moved != count:
        raise AssertionError(f"Reassign moved {moved} of {count} open tasks")
    forget_events(engine)
    bench.add(
        Row(
            f"Reassign of {count:,} open tasks (command, commit included)",
            ours,
            "s",
            "raw UPDATE + bulk INSERT of as many outbox rows",
            base,
            "<= 2x",
        )
    )
