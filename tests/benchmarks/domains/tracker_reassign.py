"""How long Reassign takes for many open tasks.

`python -m tests.benchmarks.domains.tracker_reassign [N]`

Uses a throwaway database on the server of DATABASE_URL (or a temporary SQLite file), fills the
pool with 10 parrots and N open tasks (default 100,000), then times presses of Reassign, each in
its own transaction, commit included.
"""

import os
import sys
import tempfile
import time
import uuid

import sqlalchemy as sa

from ates.bootstrap import start
from ates.database import is_sqlite, utcnow
from ates.settings import load_settings
from domains.tracker.commands import reassign_open_tasks
from domains.tracker.tables import OPEN, assignees, tasks
from migrations import upgrade
from outbox.tables import events


def _scratch_url() -> tuple[str, callable]:
    base = os.environ.get("DATABASE_URL")
    if not base or is_sqlite(base):
        path = os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
        return f"sqlite:///{path}", lambda: None
    url = sa.make_url(base)
    name = f"ates_bench_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def fill(runtime, n: int) -> None:
    parrots = [str(uuid.uuid4()) for _ in range(10)]
    now, creator = utcnow(), str(uuid.uuid4())
    with runtime.db.transaction() as session:
        session.execute(
            sa.insert(assignees),
            [
                dict(public_id=p, login=f"p{i}", full_name=f"P {i}", role="worker", active=True,
                     version=1)
                for i, p in enumerate(parrots)
            ],
        )  # fmt: skip
        for start_at in range(0, n, 20_000):
            session.execute(
                sa.insert(tasks),
                [
                    dict(public_id=str(uuid.uuid4()), title=f"Task {i}", jira_id=None,
                         description="", status=OPEN, assignee=parrots[0], assignment=1,
                         created_by=creator, created_at=now)
                    for i in range(start_at, min(n, start_at + 20_000))
                ],
            )  # fmt: skip


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    url, drop = _scratch_url()
    try:
        upgrade(url)
        runtime = start(load_settings(database_url=url, broker_url=None, secret_key="bench"))
        fill(runtime, n)
        if not runtime.db.is_sqlite:
            with runtime.db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        for attempt in range(1, 4):
            began = time.perf_counter()
            with runtime.db.transaction() as session:
                moved = reassign_open_tasks(session)
            took = time.perf_counter() - began
            backend = runtime.db.engine.dialect.name
            print(f"{backend}: press {attempt}: {moved:,} tasks in {took:.2f} s")
        with runtime.db.transaction() as session:
            sent = session.scalar(sa.select(sa.func.count()).select_from(events))
        print(f"task.assigned events in the outbox: {sent:,}")
        runtime.db.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
