"""Entry point of the Dramatiq worker processes: `dramatiq domains.worker`."""

from domains.runtime import start

runtime = start()
broker = runtime.broker
