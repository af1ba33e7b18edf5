"""`dramatiq tests.probe.worker`: a real worker process that also runs the probe consumers."""

import tests.probe  # noqa: F401  (before the actors are declared)
from ates.worker import broker, runtime

__all__ = ["broker", "runtime"]
