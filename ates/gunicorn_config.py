"""gunicorn's hooks for the web processes (the Procfile's `-c python:ates.gunicorn_config`): one
Prometheus directory for them all. Outside `web/`: loading it must not import the app.

With `PROMETHEUS_MULTIPROC_DIR` set, each web process writes its metrics there and any one of
them answers `/metrics` for all (web/metrics.py).
"""

import os
from pathlib import Path

from prometheus_client import multiprocess


def on_starting(server):
    """Empty the directory: files of the last run's processes would count them as alive and
    carry their counts into this run's."""
    if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(directory).mkdir(parents=True, exist_ok=True)
        for leftover in Path(directory).glob("*.db"):
            leftover.unlink()


def child_exit(server, worker):
    """A dead worker leaves the live gauges; its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
