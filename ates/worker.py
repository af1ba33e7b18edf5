"""Entry point of the Dramatiq worker processes: `dramatiq ates.worker`."""

from ates.bootstrap import start

runtime = start()
broker = runtime.broker
jobs = runtime.start_jobs()
