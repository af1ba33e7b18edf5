"""Counters a process keeps for Prometheus: events applied and dead-lettered, per consumer.

Created on first use, not at import: a Dramatiq worker switches prometheus-client to its
multiprocess mode when it boots (the Prometheus middleware), and the client picks its mode when
first imported, so nothing here may import it earlier.
"""

import threading
from functools import cache

# Worker threads count their first deliveries together; the client refuses a second copy.
_creating = threading.Lock()


def _counters():
    with _creating:
        return _created()


@cache
def _created():
    from prometheus_client import Counter

    return {
        "applied": Counter(
            "ates_events_applied", "Events a consumer applied (committed).", ["consumer"]
        ),
        "dead": Counter(
            "ates_events_dead_lettered", "Events a consumer put in its dead letters.", ["consumer"]
        ),
    }


def count_delivery(consumer: str, applied: int, dead: int) -> None:
    """Count what one delivery to a consumer did."""
    counters = _counters()
    if applied:
        counters["applied"].labels(consumer).inc(applied)
    if dead:
        counters["dead"].labels(consumer).inc(dead)
