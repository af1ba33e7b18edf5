"""Real processes for the tests: a private Redis, Dramatiq workers, the relay, the web server."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what} did not happen within {timeout} s")


class PrivateRedis:
    """A Redis server of the test's own, so stopping it disturbs nobody else."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _pings(client), 10, "redis start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def app_environment(settings, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=settings.database_url,
        BROKER_NAMESPACE=settings.broker_namespace,
        SECRET_KEY=settings.secret_key,
        RETRY_MIN_BACKOFF_MS=str(settings.retry_min_backoff_ms),
        RETRY_MAX_BACKOFF_MS=str(settings.retry_max_backoff_ms),
        GIVE_UP_AFTER_SECONDS=str(settings.give_up_after_seconds),
        REDELIVER_AFTER_SECONDS=str(settings.redeliver_after_seconds),
        ATES_VAR_DIR=str(settings.var_dir),
        PYTHONPATH=str(ROOT),
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    env.update({key: str(value) for key, value in extra.items()})
    return env


@contextmanager
def process(args: list[str], env: dict, log: Path):
    """A process group that is stopped (or found dead) when the block ends."""
    with open(log, "ab") as output:
        child = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield child
    finally:
        kill(child, signal.SIGTERM)


def kill(child: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if child.poll() is None:
        os.killpg(child.pid, sig)
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)


def dramatiq_worker(module: str, processes: int = 1, threads: int = 4) -> list[str]:
    return [str(BIN / "dramatiq"), module, "--processes", str(processes), "--threads", str(threads)]
