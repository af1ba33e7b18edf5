"""`python -m tests.benchmarks.relay [bench|app]`: the app's relay code in its own process.

The relay must know each event's subscribers, so with `bench` it registers the benchmark's
consumer (BENCH_CONSUMER) before the runtime starts; with `app`, only the domains' own.
"""

import signal
import sys
import threading

which = sys.argv[1] if len(sys.argv) > 1 else "app"
if which == "bench":
    import tests.benchmarks.consumers  # noqa: F401

from ates.bootstrap import start  # noqa: E402


def main() -> None:
    runtime = start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print("relay ready", flush=True)
    runtime.relay().run(stop, runtime.retention)


main()
