"""Entry point of the Dramatiq worker processes: `dramatiq ates.worker`."""

from ates.bootstrap import start
from outbox.broker import add_worker_metrics

runtime = start()
broker = runtime.broker
add_worker_metrics(broker)
jobs = runtime.start_jobs()
