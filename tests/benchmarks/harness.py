"""The benchmark's own database, Redis namespace and processes, and small measuring helpers."""

import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import redis
import sqlalchemy as sa

from ates.settings import load_settings
from tests.benchmarks import data
from tests.processes import ROOT, app_environment, process, wait_until

BIN = Path(sys.executable).parent


@dataclass
class Row:
    """One line of the results table."""

    figure: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    goal: str
    # ratio as the goal reads it: figure / baseline, unless `inverse` (baseline / figure).
    inverse: bool = False
    notes: str = ""

    @property
    def ratio(self) -> float:
        if self.inverse:
            return self.baseline_value / self.value if self.value else float("inf")
        return self.value / self.baseline_value if self.baseline_value else float("inf")


@dataclass
class Bench:
    """Settings of this run: a fresh database and Redis namespace, dropped at the end."""

    settings: object
    log_dir: Path
    processes: int
    threads: int
    parrots: int = 10_000
    data: ModuleType = data  # the generators of the backend: `data` or `sqlite_data`
    rows: list[Row] = field(default_factory=list)
    _runtime: object = None
    _engine: object = None

    def runtime(self):
        """This process's runtime (database and broker) on the benchmark's settings."""
        if self._runtime is None:
            from ates.bootstrap import start

            self._runtime = start(self.settings)
        return self._runtime

    @property
    def env(self) -> dict:
        return app_environment(self.settings, PYTHONUNBUFFERED="1")

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.broker_url)

    def engine(self) -> sa.Engine:
        """One shared engine (disposing it is a no-op: the run drops the database); on SQLite
        the app's, which maps the schemas to the one file."""
        if self._engine is None and self.data is not data:
            self._engine = self.runtime().db.engine
        if self._engine is None:
            self._engine = sa.create_engine(self.settings.database_url)
        return self._engine

    def flush_redis(self) -> None:
        client = self.redis()
        for key in client.scan_iter(f"{self.settings.broker_namespace}*"):
            client.delete(key)

    def worker(self, module: str, name: str, processes=None, threads=None, **extra_env):
        """`dramatiq <module>` with this run's processes and threads (unless given)."""
        args = [str(BIN / "dramatiq"), module, "--processes", str(processes or self.processes)]
        args += ["--threads", str(threads or self.threads)]
        env = self.env | {k: str(v) for k, v in extra_env.items()}
        return self._run(args, env, name)

    def python(self, module: str, name: str, *args: str, **extra_env):
        env = self.env | {k: str(v) for k, v in extra_env.items()}
        return self._run([sys.executable, "-m", module, *args], env, name)

    @contextmanager
    def _run(self, args: list[str], env: dict, name: str):
        with process(args, env, self.log(name)) as child, self.profiled(name, child.pid):
            yield child

    @contextmanager
    def profiled(self, name: str, pid: int):
        """py-spy attached (collapsed stacks in the log dir) when BENCH_PROFILE names this one."""
        if name not in os.environ.get("BENCH_PROFILE", "").split(","):
            yield
            return
        out = self.log_dir / f"{name}.stacks.txt"
        spy = subprocess.Popen(
            [
                str(BIN / "py-spy"),
                "record",
                "--format",
                "raw",
                "--subprocesses",
                "--nonblocking",
                "--pid",
                str(pid),
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield
        finally:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(format_row(row), flush=True)
        return row


@contextmanager
def bench_environment(processes: int, threads: int, log_dir: Path):
    """Create the database (migrated) and namespace; drop both afterwards."""
    tag = uuid.uuid4().hex[:8]
    base = sa.make_url(
        os.environ.get("BENCH_DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/0"
    name = f"ates_bench_{tag}"
    server = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    log_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        database_url=url,
        broker_url=redis_url,
        secret_key="bench-secret",
        var_dir=log_dir / "var",
        broker_namespace=f"ates-bench-{tag}",
    )
    bench = Bench(settings, log_dir, processes, threads)
    try:
        from migrations import upgrade

        upgrade(url)
        yield bench
    finally:
        bench.flush_redis()
        if bench._runtime is not None:
            bench._runtime.db.dispose()
        if bench._engine is not None:
            bench._engine.dispose()
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc/<pid>/status VmRSS."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def children_rss_mb(pid: int) -> float:
    """RSS of a process plus its direct children (a forking server or worker pool)."""
    total = rss_mb(pid)
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        total += rss_mb(int(child))
    return total


def wait_for_log(log: Path, text: str, timeout: float = 60) -> None:
    wait_until(lambda: log.exists() and text in log.read_text(errors="ignore"), timeout, text)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def format_row(row: Row) -> str:
    value = f"{row.value:,.3f}" if row.value < 100 else f"{row.value:,.0f}"
    base = (
        f"{row.baseline_value:,.3f}" if row.baseline_value < 100 else f"{row.baseline_value:,.0f}"
    )
    notes = f"  [{row.notes}]" if row.notes else ""
    return (
        f"| {row.figure} | {value} {row.unit} | {row.baseline}: {base} {row.unit} "
        f"| {row.ratio:.2f}x | {row.goal} |{notes}"
    )


def table(rows: list[Row]) -> str:
    head = "| figure | measured | baseline (same run) | ratio | goal |\n" + "| --- " * 5 + "|"
    return "\n".join([head, *(format_row(r) for r in rows)])


__all__ = ["ROOT", "ExitStack", "subprocess"]
