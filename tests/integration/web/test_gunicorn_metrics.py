"""The Procfile's web line under a real gunicorn: its processes answer `/metrics` as one, a
killed worker leaves the live gauges while the requests it counted stay counted, and a start
after a crash begins from an empty metrics directory."""

import os
import signal
import urllib.request
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import BIN, ROOT, app_environment, free_port, kill, process, wait_until

TOKEN = "scrape-secret-gunicorn"


def procfile_web_line() -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    return ["sh", "-c", line.removeprefix("web:").strip()]


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue  # gone meanwhile
        if parent == pid:
            found.add(int(stat.parent.name))
    return found


def gunicorn_workers(shell) -> set[int]:
    """The workers of the gunicorn the Procfile line started: dash runs it as its child, a
    shell that execs it is the master itself."""
    below = children(shell.pid)
    return {pid for child in below for pid in children(child)} or below


def value(text: str, name: str, **labels) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return None


def scrapes_counted(text: str) -> float | None:
    return value(text, "ates_http_request_duration_seconds_count", endpoint="metrics.metrics")


def scrape(url: str) -> str:
    request = urllib.request.Request(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def scraped(url: str) -> str | None:
    try:
        return scrape(url)
    except OSError:
        return None  # not listening yet


def serving(url: str, processes: int, answered: list | None = None) -> str | None:
    text = scraped(url)
    if text and answered is not None:
        answered.append(text)
    return text if text and value(text, "ates_web_processes") == processes else None


def test_a_killed_gunicorn_worker_leaves_the_live_gauges_and_its_counts_stay(runtime, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = app_environment(
        runtime.settings,
        ATES_VAR_DIR=tmp_path,
        PORT=port,
        WEB_CONCURRENCY=2,
        METRICS_TOKEN=TOKEN,
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the Procfile's own, under the var dir
    metrics_dir = tmp_path / "prometheus-web"
    with process(procfile_web_line(), env, tmp_path / "web.log") as web:
        wait_until(lambda: serving(url, 2), 60, "two web processes", 0.3)
        wait_until(lambda: len(gunicorn_workers(web)) == 2, 10, "the workers' pids")
        # The victim must have counted requests of its own, or losing them would not show.
        victim = wait_until(
            lambda: scrape(url) and _a_worker_with_counts(gunicorn_workers(web), metrics_dir),
            30,
            "requests served by each worker",
        )
        before = scrapes_counted(scrape(url))
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: _replaced(web, victim, metrics_dir), 60, "the victim replaced", 0.2)
        after = scrape(url)
        assert value(after, "ates_web_processes") == 2  # the dead one no longer counted
        assert scrapes_counted(after) == before + 1  # the one before's
        kill(web)  # a crash: no hook runs, every file stays behind
    answered = []  # this run's scrapes, each counted by the one after it
    with process(procfile_web_line(), env, tmp_path / "web-again.log"):
        again = wait_until(lambda: serving(url, 2, answered), 60, "two web processes again", 0.3)
    assert (scrapes_counted(again) or 0) == len(answered) - 1  # none of the last run's


def _a_worker_with_counts(workers: set[int], metrics_dir: Path) -> int | None:
    counted = {pid for pid in workers if (metrics_dir / f"histogram_{pid}.db").exists()}
    return min(counted) if len(workers) == 2 and counted == workers else None


def _replaced(web, victim: int, metrics_dir: Path) -> bool:
    """Two workers again, each counting itself: read from their own files, adding no request."""
    workers = gunicorn_workers(web) - {victim}
    return len(workers) == 2 and all(_counts_itself(metrics_dir, pid) for pid in workers)


def _counts_itself(metrics_dir: Path, pid: int) -> bool:
    own = metrics_dir / f"gauge_livesum_{pid}.db"
    values = MmapedDict.read_all_values_from_file(str(own)) if own.exists() else []
    return [value for _key, value, *_ in values] == [1]
