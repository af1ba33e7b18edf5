"""The embedded default: Dramatiq worker threads and the relay inside the app process."""

import logging
import threading
import time
from datetime import timedelta

import dramatiq
import sqlalchemy as sa

from ates.database import Database
from outbox.relay import Relay
from outbox.tables import events
from outbox.wakeup import doorbell

log = logging.getLogger(__name__)

WORKER_THREADS = 4
# How long an idle worker thread waits on the in-memory queue; a message wakes it at once.
WORKER_TIMEOUT_MS = 100


class EmbeddedWorkers:
    def __init__(
        self,
        broker: dramatiq.Broker,
        relay: Relay,
        retention: timedelta,
        threads: int = WORKER_THREADS,
    ):
        self.worker = dramatiq.Worker(
            broker, worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS
        )
        self.relay = relay
        self.retention = retention
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._relay, name="outbox-relay", daemon=True)

    def start(self) -> None:
        self.worker.start()
        # The in-memory broker forgot what it held when the process last stopped: re-send
        # everything relayed that a consumer has neither handled nor buried.
        resent = self.relay.redeliver(everything=True)
        if resent:
            log.info("re-sent %d events the last run had not handled", resent)
        self.thread.start()

    def _relay(self) -> None:
        self.relay.run(self.stop_event, self.retention)

    def stop(self) -> None:
        self.stop_event.set()
        doorbell.ring()
        self.thread.join(timeout=5)
        self.worker.stop()


def settle(
    db: Database,
    relay: Relay,
    broker: dramatiq.Broker,
    worker: dramatiq.Worker,
    timeout: float = 60,
) -> None:
    """Relay every pending event and wait until the consumers handled it and what followed."""
    deadline = time.monotonic() + timeout
    quiet_rounds = 0
    while quiet_rounds < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("events did not settle")
        sent = relay.drain()
        for queue in broker.get_declared_queues():
            _join(broker, queue, timeout)
        worker.join()
        with db.transaction() as session:
            pending = session.scalar(
                sa.select(sa.func.count()).where(events.c.relayed_at.is_(None))
            )
        quiet_rounds = quiet_rounds + 1 if sent == 0 and pending == 0 else 0


def _join(broker: dramatiq.Broker, queue: str, timeout: float) -> None:
    if type(broker).__name__ == "RabbitmqBroker":
        # RabbitMQ's queue counts lag a moment, so its join wants several empty looks in a row
        # (by default ten, 100 ms apart, per queue); the two quiet rounds above already insist.
        broker.join(queue, min_successes=2, idle_time=20, timeout=int(timeout * 1000))
    else:
        broker.join(queue, timeout=int(timeout * 1000))
