"""The Dramatiq broker and one actor per consumer, queued per domain.

The broker is configured here before any actor is declared; actors are declared from the
consumer registry, so a domain needs no Dramatiq import to handle events.
"""

import logging
import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage, Retries, TimeLimit

from ates.database import Database
from ates.settings import Settings
from outbox import consumers, metrics

log = logging.getLogger(__name__)

MAX_RETRIES = 5
MAX_BACKOFF_MS = 30_000
# A dead worker's messages go back to the queue after its heartbeat is this old and a
# maintenance pass runs; Dramatiq's defaults (60 s, 1 in 1,000 fetches) leave recovery unbounded.
HEARTBEAT_TIMEOUT_MS = 15_000
MAINTENANCE_CHANCE = 200_000  # out of 1,000,000 broker commands: one in five


class HandlerFailed(Exception):
    """A handler raised; Dramatiq retries the delivery with backoff."""


def setup_broker(settings: Settings) -> dramatiq.Broker:
    backoff = settings.retry_min_backoff_ms
    middleware = [
        Retries(
            max_retries=MAX_RETRIES, min_backoff=backoff, max_backoff=max(backoff, MAX_BACKOFF_MS)
        ),
        TimeLimit(time_limit=300_000),
        CurrentMessage(),
    ]
    if settings.broker_kind == "rabbitmq":
        # Durable queues and persistent messages are Dramatiq's defaults on RabbitMQ; publisher
        # confirms make a send return only once RabbitMQ holds the message, so the relay marks
        # an event relayed only after that. A dead worker's unacknowledged messages go back to
        # their queue as soon as its connection drops.
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(
            url=settings.broker_url, confirm_delivery=True, middleware=middleware
        )
    elif settings.broker_kind == "redis":
        broker = RedisBroker(
            url=settings.broker_url,
            namespace=settings.broker_namespace,
            middleware=middleware,
            heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=MAINTENANCE_CHANCE,
        )
    else:
        broker = StubBroker(middleware=middleware)
    dramatiq.set_broker(broker)
    return broker


def ping(broker: dramatiq.Broker) -> None:
    """Raise unless the broker answers (the in-process broker always does)."""
    if isinstance(broker, RedisBroker):
        broker.client.ping()
    elif not isinstance(broker, StubBroker):
        broker.connection.process_data_events(time_limit=0)


def declare_actors(broker: dramatiq.Broker, db: Database) -> dict[str, dramatiq.Actor]:
    """One `<consumer>.handle_events` actor on the `<consumer>` queue for every consumer."""
    return {name: _declare(broker, db, name) for name in sorted(consumers.CONSUMERS)}


def _declare(broker, db, consumer_name) -> dramatiq.Actor:
    def handle_events(messages: list[dict]) -> None:
        if len(messages) > 1 and consumers.CONSUMERS[consumer_name].one_at_a_time:
            for message in messages:
                actor.send([message])
            return
        outcome = consumers.apply_batch(db, consumer_name, messages)
        metrics.count_delivery(consumer_name, outcome.applied, outcome.dead)
        if not outcome.failed:
            return
        if len(messages) > 1:
            # Retry each failed event on its own, so the rest of the batch stays done.
            for message, _error in outcome.failed:
                actor.send([message])
            return
        message, error = outcome.failed[0]
        if _retries_so_far() >= MAX_RETRIES:
            with db.transaction() as session:
                consumers.bury(session, consumer_name, message, f"retries exhausted: {error}")
            metrics.count_delivery(consumer_name, 0, 1)
            return
        raise HandlerFailed(error)

    actor = dramatiq.actor(
        handle_events,
        broker=broker,
        actor_name=f"{consumer_name}.handle_events",
        queue_name=consumer_name,
    )
    return actor


def _retries_so_far() -> int:
    message = CurrentMessage.get_current_message()
    return message.options.get("retries", 0) if message else MAX_RETRIES


def add_worker_metrics(broker: dramatiq.Broker) -> None:
    """Dramatiq's Prometheus middleware when `dramatiq_prom_port` is set: the `dramatiq` command
    then serves its workers' metrics (Dramatiq's and `outbox.metrics`) on that port, bound to
    `dramatiq_prom_host` (set it to 127.0.0.1: Dramatiq's default is every interface). Both are
    read by the command's own processes, so they belong in its environment (see the Procfile)."""
    if os.environ.get("dramatiq_prom_port"):  # noqa: SIM112 (Dramatiq's own name)
        from dramatiq.middleware.prometheus import Prometheus

        broker.add_middleware(Prometheus())
