"""`dramatiq tests.benchmarks.bare`: a do-nothing actor on the same Redis, no database.

The baseline of the relay-and-apply figure: the per-message cost of the bare transport.
"""

import os
import time

import dramatiq
from dramatiq.brokers.redis import RedisBroker

broker = RedisBroker(
    url=os.environ["BROKER_URL"], namespace=os.environ["BROKER_NAMESPACE"] + "-bare"
)
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name="bench.nothing", queue_name="bench_bare", broker=broker)
def nothing(value: int) -> None:
    """Do nothing: what is left is Dramatiq's own cost per message."""


LATENCIES = os.environ["BROKER_NAMESPACE"] + "-bare:latencies"


@dramatiq.actor(actor_name="bench.stamp", queue_name="bench_stamp", broker=broker)
def stamp(sent_at: float) -> None:
    """Note how long after it was sent this message began to run (the latency baseline)."""
    broker.client.rpush(LATENCIES, time.time() - sent_at)
