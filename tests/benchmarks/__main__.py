"""`python -m tests.benchmarks [--rows 1,2,...]`: every figure of issue 8 with its baseline.

Sizes come from flags or environment variables (BENCH_EVENTS, BENCH_TASKS, ...); the defaults
are the issue's sizes where they fit in a bounded run on a 2-core machine.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.harness import bench_environment, table


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("--rows", default=os.environ.get("BENCH_ROWS", "1,2,3,4,5,6,7,8,9,10"))
    parser.add_argument("--events", type=int, default=_env_int("BENCH_EVENTS", 100_000))
    parser.add_argument(
        "--reassign",
        default=os.environ.get("BENCH_REASSIGN", "10000,100000"),
        help="open-task counts for the Reassign figure",
    )
    parser.add_argument(
        "--per-event-events", type=int, default=_env_int("BENCH_PER_EVENT_EVENTS", 20_000)
    )
    parser.add_argument("--fee-tasks", type=int, default=_env_int("BENCH_FEE_TASKS", 100_000))
    parser.add_argument("--tasks", type=int, default=_env_int("BENCH_TASKS", 100_000))
    parser.add_argument("--entries", type=int, default=_env_int("BENCH_ENTRIES", 1_000_000))
    parser.add_argument(
        "--size-factor",
        type=int,
        default=_env_int("BENCH_SIZE_FACTOR", 10),
        help="row 10: the pages at --tasks/--entries against this many times less data",
    )
    parser.add_argument(
        "--embedded-reassign", default=os.environ.get("BENCH_EMBEDDED_REASSIGN", "10000")
    )
    parser.add_argument(
        "--embedded-tasks", type=int, default=_env_int("BENCH_EMBEDDED_TASKS", 100_000)
    )
    parser.add_argument(
        "--embedded-entries", type=int, default=_env_int("BENCH_EMBEDDED_ENTRIES", 1_000_000)
    )
    parser.add_argument(
        "--embedded-clients", type=int, default=_env_int("BENCH_EMBEDDED_CLIENTS", 8)
    )
    parser.add_argument("--accounts", type=int, default=_env_int("BENCH_ACCOUNTS", 10_000))
    parser.add_argument(
        "--relay-events", type=int, default=_env_int("BENCH_RELAY_EVENTS", 1_000_000)
    )
    parser.add_argument(
        "--contention-tasks",
        type=int,
        default=_env_int("BENCH_CONTENTION_TASKS", 2_000),
        help="tasks of the mixed backlog drained for 12 accounts and for --accounts",
    )
    parser.add_argument("--clients", type=int, default=_env_int("BENCH_CLIENTS", 16))
    parser.add_argument("--requests", type=int, default=_env_int("BENCH_REQUESTS", 960))
    parser.add_argument(
        "--page-cap", type=float, default=float(os.environ.get("BENCH_PAGE_CAP", 60))
    )
    parser.add_argument("--processes", type=int, default=_env_int("BENCH_PROCESSES", 2))
    parser.add_argument("--threads", type=int, default=_env_int("BENCH_THREADS", 4))
    parser.add_argument("--web-workers", type=int, default=_env_int("BENCH_WEB_WORKERS", 4))
    parser.add_argument("--log-dir", default=os.environ.get("BENCH_LOG_DIR"))
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    rows = {int(r) for r in args.rows.split(",") if r.strip()}
    log_dir = Path(args.log_dir or tempfile.mkdtemp(prefix="ates-bench-"))
    started = time.monotonic()
    print(f"aTES benchmarks: rows {sorted(rows)}; logs in {log_dir}", flush=True)
    with bench_environment(args.processes, args.threads, log_dir) as bench:
        bench.parrots = args.accounts
        print(
            f"database {bench.settings.database_url.rsplit('/', 1)[-1]}, "
            f"redis namespace {bench.settings.broker_namespace}, "
            f"workers {args.processes} processes x {args.threads} threads",
            flush=True,
        )
        from tests.benchmarks import throughput

        relay_rate = None
        if 10 in rows:  # first: it measures the pages on less data than the other rows leave
            from tests.benchmarks import pages

            pages.row_size_cost(bench, args)
        if rows & {1, 3}:
            relay_rate = throughput.row_relay_and_apply(bench, args.events, args.per_event_events)
        if 2 in rows:
            from tests.benchmarks import reassign

            for count in (int(c) for c in args.reassign.split(",")):
                reassign.row_reassign(bench, count)
        if 3 in rows:
            from tests.benchmarks import fees

            fees.row_fees(bench, args.fee_tasks, relay_rate, args.events)
        if 4 in rows:
            from tests.benchmarks import pages

            pages.row_pages(bench, args)
        if 5 in rows:
            from tests.benchmarks import day_close

            day_close.row_day_close(bench, args.accounts)
        if 6 in rows:
            throughput.row_relay_memory(bench, args.relay_events)
        if 7 in rows:
            from tests.benchmarks import latency

            latency.row_latency(bench)
        if 8 in rows:
            from tests.benchmarks import contention

            contention.row_contention(bench, args.contention_tasks, args.accounts)
        if 9 in rows:  # last: it makes SQLite this process's database
            from tests.benchmarks import embedded

            embedded.row_embedded(bench, args)
        print("\n" + table(bench.rows))
    print(f"\nfinished in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
