"""Time until accounting has charged every fee of a 100,000-task Reassign (real processes)."""

import time

from tests.benchmarks import data
from tests.benchmarks.harness import Bench, Row, Timer, wait_for_log
from tests.benchmarks.reassign import exactly_open, forget_events, reassign_command

FEES = "SELECT count(*) FROM accounting.ledger_entries WHERE kind = 'assign_fee'"


def row_fees(bench: Bench, count: int, relay_rate: float | None, relay_count: int) -> None:
    runtime = bench.runtime()
    engine = bench.engine()
    if not data.count(engine, "SELECT count(*) FROM tracker.assignees"):
        data.add_parrots(engine, bench.parrots)
    exactly_open(bench, count)
    forget_events(engine)
    before = data.count(engine, FEES)
    with (
        bench.worker("ates.worker", "app-worker"),
        bench.python("tests.benchmarks.relay", "app-relay", "app"),
    ):
        wait_for_log(bench.log("app-worker"), "is ready for action", 60)
        wait_for_log(bench.log("app-relay"), "relay ready", 60)
        time.sleep(1)
        with Timer() as timer:
            _seconds, moved = reassign_command(runtime)
            while data.count(engine, FEES) - before < moved:
                if timer.start + 3600 < time.perf_counter():
                    raise TimeoutError("fees were not all charged within an hour")
                time.sleep(0.25)
    baseline = relay_count / relay_rate if relay_rate else float("nan")
    bench.add(
        Row(
            f"Reassign of {moved:,} tasks until accounting charged every fee",
            timer.seconds,
            "s",
            f"relay-and-apply of {relay_count:,} events (row 1)",
            baseline,
            "reported",
            notes=f"{moved / timer.seconds:,.0f} fees/s"
            + ("" if relay_count == moved else f"; row 1 used {relay_count:,} events"),
        )
    )
