"""`dramatiq tests.benchmarks.worker`: the app's worker with the benchmark's consumer."""

import tests.benchmarks.consumers  # noqa: F401  (before the actors are declared)
from ates.worker import broker, runtime

__all__ = ["broker", "runtime"]
