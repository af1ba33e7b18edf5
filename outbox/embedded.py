"""The embedded default: Dramatiq worker threads and the relay inside the app process."""

import logging
import threading
from datetime import timedelta

import dramatiq

from outbox.relay import Relay

log = logging.getLogger(__name__)


class EmbeddedWorkers:
    def __init__(
        self, broker: dramatiq.Broker, relay: Relay, retention: timedelta, threads: int = 4
    ):
        self.worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
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
        self.thread.join(timeout=5)
        self.worker.stop()
