"""`make bench` runs every row to its figure.

A row that breaks waits, otherwise, for the next person who needs its numbers (row 3 once
stopped every whole run). Tiny sizes: this checks that each row runs on its real processes,
not how fast; the figures themselves are read in `docs/benchmarks.md`.
"""

import os
import subprocess
import sys

import pytest

from ates.database import is_sqlite
from tests.processes import ROOT

TINY = {
    "BENCH_EVENTS": "2000",
    "BENCH_PER_EVENT_EVENTS": "500",
    "BENCH_REASSIGN": "500",
    "BENCH_FEE_TASKS": "500",
    "BENCH_TASKS": "1000",
    "BENCH_ENTRIES": "5000",
    "BENCH_SIZE_FACTOR": "2",
    "BENCH_ACCOUNTS": "100",
    "BENCH_RELAY_EVENTS": "2000",
    "BENCH_CONTENTION_TASKS": "100",
    "BENCH_REQUESTS": "48",
    "BENCH_CLIENTS": "2",
    "BENCH_EMBEDDED_REASSIGN": "500",
    "BENCH_EMBEDDED_TASKS": "1000",
    "BENCH_EMBEDDED_ENTRIES": "5000",
    "BENCH_EMBEDDED_CLIENTS": "2",
    "dramatiq_worker_timeout": "100",
}

# A phrase of each row's figure in the printed table.
FIGURES = {
    1: "events relayed and applied per second",
    2: "open tasks (command, commit included) |",
    3: "until accounting charged every fee",
    4: '"my tasks" /tasks/ p95, 2 clients |',
    5: "day close for",
    6: "relay RSS while relaying",
    7: "latency commit -> 2nd subscriber committed, 200 events/s, embedded",
    8: "mixed backlog drained by 2 x 8 workers, 12 accounts",
    9: "embedded (SQLite)",
    10: "p95 at 1,000 tasks / 5,000 entries",
}


def test_every_benchmark_row_runs_to_its_figure(tmp_path):
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url or is_sqlite(database_url):
        pytest.skip("the benchmarks run on PostgreSQL + Redis: the services suite runs them")
    env = os.environ | TINY | {"BENCH_LOG_DIR": str(tmp_path), "BENCH_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    missing = {
        row: phrase for row, phrase in FIGURES.items() if not any(phrase in line for line in table)
    }
    assert not missing, "\n".join(table)
