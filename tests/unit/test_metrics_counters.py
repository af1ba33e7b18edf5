"""A worker's threads count their first deliveries at the same moment; every one is counted and
none fails (a failure there came after the commit, and made Dramatiq retry a done delivery)."""

import sys
import threading

from prometheus_client import REGISTRY

from outbox import metrics

THREADS = 8


def test_threads_counting_their_first_deliveries_together_all_count():
    if metrics._created.cache_info().currsize:  # another test counted first: start afresh
        for counter in metrics._created().values():
            REGISTRY.unregister(counter)
        metrics._created.cache_clear()
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as possible: races show
    start, errors = threading.Barrier(THREADS), []

    def count() -> None:
        start.wait()
        try:
            metrics.count_delivery("race", 1, 0)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=count) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    assert errors == []
    assert REGISTRY.get_sample_value("ates_events_applied_total", {"consumer": "race"}) == THREADS
