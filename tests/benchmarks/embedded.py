"""Row 9: the embedded default (SQLite, in-process broker and workers, `python -m web`).

The Reassign of rows 2 and the pages of row 4, run with SQLite's generators and baseline on a
database file of their own; the pages against the embedded server (waitress, 8 threads, the
workers and relay in its process) under 8 clients, as issue 18 asks.
"""

import argparse
import sys
from contextlib import contextmanager

from ates.settings import load_settings
from tests.benchmarks import pages, reassign, sqlite_data
from tests.benchmarks.harness import Bench

WHERE = ", embedded (SQLite)"


@contextmanager
def embedded_bench(bench: Bench):
    """A Bench on a fresh SQLite file in the log dir, adding its rows to `bench`'s table."""
    from migrations import upgrade

    var_dir = bench.log_dir / "embedded"
    var_dir.mkdir(exist_ok=True)
    url = f"sqlite:///{var_dir / 'ates.sqlite3'}"
    upgrade(url)
    settings = load_settings(
        database_url=url, broker_url=None, secret_key="bench-secret", var_dir=var_dir
    )
    embedded = Bench(
        settings, bench.log_dir, 1, 1, parrots=bench.parrots, rows=bench.rows, data=sqlite_data
    )
    try:
        yield embedded
    finally:
        if embedded._runtime is not None:
            embedded._runtime.db.dispose()


def server(bench: Bench):
    command = [sys.executable, "-m", "web"]
    return lambda port: (command, bench.env | {"PORT": str(port)}, "aTES is serving")


def row_embedded(bench: Bench, args) -> None:
    with embedded_bench(bench) as embedded:
        for count in (int(c) for c in args.embedded_reassign.split(",")):
            reassign.row_reassign(embedded, count, WHERE)
        pages.prepare(embedded, args.embedded_tasks, args.embedded_entries)
        eight = argparse.Namespace(**{**vars(args), "clients": args.embedded_clients})
        results = pages.measure(embedded, eight, server(embedded), pages.with_homes(pages.PAGES))
        pages.add_page_rows(embedded, eight, results, WHERE)
