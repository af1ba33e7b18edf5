"""Real processes for the tests: a private Redis, Dramatiq workers, the relay, the web server."""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A free port below the kernel's ephemeral range. A server the tests stop and start again
    keeps its port; one from the ephemeral range could meanwhile become the local end of a
    client's connection (even a client reconnecting to that very server connects to itself),
    and the server could not listen there again."""
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(10_000, ephemeral_low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


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


class PrivateRabbitmq:
    """A RabbitMQ node of the test's own (its own name, ports and data directory)."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.node = f"ates{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        # rabbitmq-server runs as the rabbitmq user: a directory it may write, outside pytest's
        # private temporary tree.
        self.dir = Path(tempfile.mkdtemp(prefix=f"ates-rabbitmq-{self.port}-"))
        self.dir.chmod(0o777)
        self.process = None

    def start(self, attempts: int = 3) -> None:
        """Start the node; one that exits while starting (a distribution port taken meanwhile by
        another process on this busy machine) is started again with a fresh one."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once()
            except RuntimeError:
                if attempt == attempts:
                    raise
                time.sleep(1)

    def _start_once(self) -> None:
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        (self.dir / "enabled_plugins").write_text("[].\n")
        env = dict(os.environ) | {
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
        }
        with open(self.dir / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                ["rabbitmq-server"],
                cwd=self.dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, 120, "rabbitmq start", 0.5)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            log = (self.dir / "server.log").read_text(errors="replace").splitlines()[-15:]
            raise RuntimeError("rabbitmq-server exited:\n" + "\n".join(log))
        return _amqp_answers(self.url)

    def stop(self) -> None:
        """Stop the node and forget its data (queues and messages), as a lost server would."""
        if self.process:
            # The node runs as another user in a session of its own (su): stop it by name.
            subprocess.run(
                ["rabbitmqctl", "-n", self.node, "stop"], capture_output=True, timeout=120
            )
            try:
                self.process.wait(60)  # the node, not only its listener, is gone
            except subprocess.TimeoutExpired:
                kill(self.process)
            self.process = None
        shutil.rmtree(self.dir / "mnesia", ignore_errors=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _amqp_answers(url: str) -> bool:
    import pika

    try:
        pika.BlockingConnection(pika.URLParameters(url)).close()
        return True
    except pika.exceptions.AMQPError:
        return False


@contextmanager
def rabbitmq_vhost(url: str, name: str):
    """A vhost of its own on a shared RabbitMQ (`url` with the vhost replaced), deleted after."""
    subprocess.run(["rabbitmqctl", "add_vhost", name], check=True, capture_output=True)
    try:
        subprocess.run(
            ["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
        base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
        yield f"{base}/{name}"
    finally:
        subprocess.run(["rabbitmqctl", "delete_vhost", name], check=False, capture_output=True)


def private_broker_for(settings, tmp_path: Path):
    """A private server of the session's broker kind (Redis for the embedded default)."""
    if settings.broker_kind == "rabbitmq":
        return PrivateRabbitmq(tmp_path)
    return PrivateRedis(tmp_path)


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
    env.pop("REDIS_URL", None)
    env.pop("BROKER_URL", None)
    if settings.broker_url:
        env["BROKER_URL"] = settings.broker_url
    env["ATES_ENV"] = settings.environment
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
