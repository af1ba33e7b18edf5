"""Entry point of the Dramatiq worker processes: `dramatiq domains.worker`."""

from domains.accounting.schedule import start_scheduler
from domains.runtime import start
from outbox.broker import add_worker_metrics

runtime = start()
broker = runtime.broker
add_worker_metrics(broker)
# The daily close runs in every worker process; the close itself pays each account once a day.
day_close_scheduler = start_scheduler(runtime.db, runtime.settings)
