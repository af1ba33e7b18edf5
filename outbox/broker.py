"""The Dramatiq broker and one actor per consumer, queued per domain.

The broker is configured here before any actor is declared; actors are declared from the
consumer registry, so a domain needs no Dramatiq import to handle events.

No message stops a consumer: a body that does not decode, a message for an actor nobody
declared, arguments of the wrong shape each end once in the dead-letter table with the reason,
and the worker goes on with the messages behind it.
"""

import logging
import os
import time
from datetime import timedelta

import dramatiq
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker, _RabbitmqConsumer
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import current_millis
from dramatiq.errors import ConnectionClosed, DecodeError
from dramatiq.message import Message
from dramatiq.middleware import CurrentMessage, Middleware, Retries, TimeLimit

from ates.database import Database, utcnow
from ates.settings import Settings, current_settings
from outbox import consumers, deliveries, metrics

log = logging.getLogger(__name__)

# A dead worker's messages go back to the queue after its heartbeat is this old and a
# maintenance pass runs; Dramatiq's defaults (60 s, 1 in 1,000 fetches) leave recovery unbounded.
HEARTBEAT_TIMEOUT_MS = 15_000
MAINTENANCE_CHANCE = 200_000  # out of 1,000,000 broker commands: one in five
# Tokens a queue's doorbell keeps while no consumer waits (each costs one fetch that finds
# nothing once a consumer comes back).
DOORBELL_TOKENS = 64
# How long a queue's consumer waits on its doorbell before fetching anyway. Rings are seldom
# missed (a sender that died between its message and the ring): waiting longer costs those a
# second, and saves idle consumers a fetch every poll.
DOORBELL_WAIT_SECONDS = 1.0
MIN_WAIT_SECONDS = 0.01  # Redis reads a timeout under 1 ms as 0: blocking until a ring
# A consumer whose prefetched messages are all still being handled waits for room, not for news.
FULL_WAIT_SECONDS = 0.005
UNDECODABLE = "outbox.undecodable"  # the actor that buries a body no one can read


class HandlerFailed(Exception):
    """A handler raised; Dramatiq retries the delivery with backoff."""


def setup_broker(settings: Settings) -> dramatiq.Broker:
    middleware = [
        # Retried until the actor gives up (`give_up_after_seconds`) and buries the event.
        Retries(
            max_retries=None,
            min_backoff=settings.retry_min_backoff_ms,
            max_backoff=max(settings.retry_min_backoff_ms, settings.retry_max_backoff_ms),
        ),
        TimeLimit(time_limit=300_000),
        CurrentMessage(),
    ]
    if settings.broker_kind == "rabbitmq":
        # Durable queues and persistent messages are Dramatiq's defaults on RabbitMQ; publisher
        # confirms make a send return only once RabbitMQ holds the message, so the relay marks
        # an event relayed only after that. A dead worker's unacknowledged messages go back to
        # their queue as soon as its connection drops.
        broker = HealingRabbitmqBroker(
            url=settings.broker_url, confirm_delivery=True, middleware=middleware
        )
    elif settings.broker_kind == "redis":
        broker = HealingRedisBroker(
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


def waiting(broker: dramatiq.Broker, queue_name: str) -> int:
    """Messages the broker holds for a queue, fetched or not (retries waiting apart)."""
    if isinstance(broker, RedisBroker):
        return broker.client.hlen(f"{broker.namespace}:{queue_name}.msgs")
    if isinstance(broker, StubBroker):
        queue = broker.queues.get(queue_name)
        return queue.unfinished_tasks if queue is not None else 0
    counts = getattr(broker, "get_queue_message_counts", None)
    return counts(queue_name)[0] if counts else 0


def declare_actors(broker: dramatiq.Broker, db: Database) -> dict[str, dramatiq.Actor]:
    """One `<consumer>.handle_events` actor on the `<consumer>` queue for every consumer."""
    broker.add_middleware(DeadLetters(db))
    _declare_undecodable(broker, db)
    settings = _retry_settings(broker)
    return {name: _declare(broker, db, name, settings) for name in sorted(consumers.CONSUMERS)}


def _retry_settings(broker) -> tuple[int, int]:
    retries = next(m for m in broker.middleware if isinstance(m, Retries))
    return retries.min_backoff, retries.max_backoff


def _declare(broker, db, consumer_name, backoff: tuple[int, int]) -> dramatiq.Actor:
    def handle_events(*args, **kwargs) -> None:
        if kwargs or len(args) != 1 or not isinstance(args[0], list):
            with db.transaction() as session:
                consumers.bury(
                    session,
                    consumer_name,
                    {"args": list(args), "kwargs": kwargs},
                    "arguments of the wrong shape: expected one list of event messages",
                )
            return
        messages = args[0]
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
        attempts = _retries_so_far() + 1
        with db.transaction() as session:
            if _failing_for() >= timedelta(seconds=current_settings().give_up_after_seconds):
                reason = f"retries exhausted: {error}"
                consumers.bury(session, consumer_name, message, reason, attempts)
                metrics.count_delivery(consumer_name, 0, 1)
                return
            retry_at = utcnow() + deliveries.backoff_ceiling(attempts - 1, *backoff)
            owed_again = retry_at + timedelta(seconds=current_settings().redeliver_after_seconds)
            if isinstance(message, dict) and consumers.event_id_of(message.get("event_id")):
                deliveries.retrying(
                    session, consumer_name, message["event_id"], error, attempts, owed_again
                )
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
    return message.options.get("retries", 0) if message else 0


def _failing_for() -> timedelta:
    """How long this delivery has been tried (since it was first sent)."""
    message = CurrentMessage.get_current_message()
    if message is None:
        return timedelta(0)
    return timedelta(milliseconds=utcnow().timestamp() * 1000 - message.message_timestamp)


def _declare_undecodable(broker, db) -> None:
    def bury_undecodable(queue_name: str, body: str, reason: str) -> None:
        with db.transaction() as session:
            consumers.bury(session, queue_name, {"raw": body}, f"undecodable message: {reason}")

    dramatiq.actor(bury_undecodable, broker=broker, actor_name=UNDECODABLE, queue_name="outbox")


class DeadLetters(Middleware):
    """A message the worker rejects (an actor nobody declared) goes to the dead-letter table."""

    def __init__(self, db: Database):
        self.db = db

    def before_nack(self, broker, message) -> None:
        error = message._exception
        reason = (
            f"unknown actor {message.actor_name}"
            if error is None or isinstance(error, dramatiq.errors.ActorNotFound)
            else f"rejected: {type(error).__name__}: {error}"
        )
        body = {"actor": message.actor_name, "args": list(message.args), "kwargs": message.kwargs}
        try:
            with self.db.transaction() as session:
                consumers.bury(session, _canonical(message.queue_name), body, reason)
        except Exception:
            log.exception("could not dead-letter message %s", message.message_id)


def _canonical(queue_name: str) -> str:
    return queue_name.removesuffix(".DQ")


class HealingRedisBroker(RedisBroker):
    """Dramatiq's Redis broker, whose consumers wait on a doorbell rather than poll, and hand an
    undecodable body to `UNDECODABLE`.

    Each message sent rings its queue's doorbell (a token on a Redis list), so a waiting
    consumer fetches it at once; Dramatiq's Redis consumers poll instead, doubling their sleep
    after each empty poll up to `dramatiq_worker_timeout`.
    """

    @property
    def consumer_class(self):
        return _HealingRedisConsumer

    def doorbell(self, queue_name: str) -> str:
        return f"{self.namespace}:{queue_name}.doorbell"

    def do_enqueue(self, queue_name: str, *args) -> None:
        """Dramatiq's enqueue and the ring in one round trip. A delayed message (a retry) rings
        its delay queue's doorbell, and its queue's when it comes due and is enqueued there."""
        # Dramatiq's own call (`RedisBroker._dispatch`), sent as EVAL in a pipeline: a script
        # in a redis-py pipeline costs a SCRIPT EXISTS round trip first, and EVAL needs no
        # script cached, so it holds after Redis restarts without its data.
        dispatch = [
            "enqueue",
            current_millis(),
            queue_name,
            self.broker_id,
            self.heartbeat_timeout,
            self.dead_message_ttl,
            self._should_do_maintenance("enqueue"),
            self._max_unpack_size(),
            *args,
        ]
        ring = self.doorbell(queue_name)
        self.client.pipeline(transaction=False).eval(
            self.scripts["dispatch"].script, 1, self.namespace, *dispatch
        ).lpush(ring, 1).ltrim(ring, 0, DOORBELL_TOKENS - 1).execute()


class _HealingRedisConsumer(_RedisConsumer):
    def __init__(self, broker, queue_name, prefetch, timeout):
        super().__init__(broker, queue_name, prefetch, timeout)
        # Dramatiq's consumer sleeps after an empty fetch; this one waits on the doorbell.
        self.timeout = 0
        # A delay queue's consumer holds the retries it fetched until they are due; Dramatiq
        # moves a due one to its queue only when this consumer returns, so it waits no later
        # than the first due time (epoch ms, by message id) of the retries it holds.
        self.due: dict[str, int] = {}
        # The last fetch found fewer messages than it asked for: the queue was empty then, and
        # whatever is sent after it rings, so the next step is the wait, not another fetch.
        self.drained = False

    # Dramatiq's consumer raises DecodeError out of `__next__`: the consumer thread restarts,
    # dropping the messages it had prefetched (they stay unacknowledged until the worker dies)
    # and the bad body, still unacknowledged, kills it again on every restart.
    def __next__(self):
        if self.drained and not self.message_cache:
            self.drained = False
            self._wait()
            return None  # Dramatiq's consumer thread acknowledges what is done, then fetches
        fetching, asked = not self.message_cache, self.prefetch - self.outstanding_message_count
        try:
            message = super().__next__()
        except DecodeError as error:
            message = self._undecodable(error.data, error.error)
        if message is None:
            self._wait()
            return None
        if fetching:
            self.drained = 1 + len(self.message_cache) < asked
        if "eta" in message.options:
            self.due[message.message_id] = message.options["eta"]
        return message

    def ack(self, message):
        self.due.pop(message.message_id, None)
        super().ack(message)

    def nack(self, message):
        self.due.pop(message.message_id, None)
        super().nack(message)

    def _wait(self) -> None:
        if self.outstanding_message_count >= self.prefetch:
            time.sleep(FULL_WAIT_SECONDS)
            return
        wait = DOORBELL_WAIT_SECONDS
        if self.due:
            wait = min(wait, min(self.due.values()) / 1000 - time.time())
            if wait <= 0:
                return  # a retry is due: Dramatiq moves it once this consumer returns
        try:
            self.broker.client.blpop(
                [self.broker.doorbell(self.queue_name)], max(wait, MIN_WAIT_SECONDS)
            )
        except redis.ConnectionError as error:
            raise ConnectionClosed(error) from None

    def _undecodable(self, data, error) -> dramatiq.broker.MessageProxy:
        message = _burial(self.queue_name, data, error, redis_message_id=self._redis_id_of(data))
        self.queued_message_ids.add(message.message_id)
        return dramatiq.broker.MessageProxy(message)

    def _redis_id_of(self, data) -> str:
        """The Redis id of a fetched body (fetching returns bodies, not their ids), so it is
        acknowledged like any other message."""
        acks = f"{self.broker.namespace}:__acks__.{self.broker.broker_id}.{self.queue_name}"
        bodies = f"{self.broker.namespace}:{self.queue_name}.msgs"
        raw = data.encode() if isinstance(data, str) else data
        candidates = list(self.broker.client.smembers(acks))
        if candidates:
            for redis_id, body in zip(
                candidates, self.broker.client.hmget(bodies, candidates), strict=True
            ):
                if body == raw:
                    return redis_id.decode()
        return "unknown"


class HealingRabbitmqBroker(RabbitmqBroker):
    """Dramatiq's RabbitMQ broker, whose consumers hand an undecodable body to `UNDECODABLE`."""

    @property
    def consumer_class(self):
        return _HealingRabbitmqConsumer


class _HealingRabbitmqConsumer(_RabbitmqConsumer):
    # Dramatiq's consumer nacks an undecodable body into the queue's own dead-letter queue
    # (`.XQ`), where no page, figure or alert looks. Swapping the body for a message to
    # `UNDECODABLE` before Dramatiq decodes it keeps the delivery's tag, so the worker buries it
    # and acknowledges it like any other message. Each body is decoded twice: cheap next to
    # the database work it carries.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.iterator = map(self._readable, self.iterator)

    def _readable(self, delivery):
        method, properties, body = delivery
        if method is None:  # nothing arrived within the timeout
            return delivery
        try:
            Message.decode(body)
        except DecodeError as error:
            return method, properties, _burial(self.queue_name, body, error.error).encode()
        return delivery


def _burial(queue_name: str, data, error: Exception, **options) -> Message:
    """A message to `UNDECODABLE` with the unreadable body and why it could not be read."""
    log.error("undecodable message on %s: dead-lettered", queue_name)
    body = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return Message(
        queue_name=queue_name,
        actor_name=UNDECODABLE,
        args=(_canonical(queue_name), body[:10_000], f"{type(error).__name__}: {error}"),
        kwargs={},
        options=options,
    )


def add_worker_metrics(broker: dramatiq.Broker) -> None:
    """Dramatiq's Prometheus middleware when `dramatiq_prom_port` is set: the `dramatiq` command
    then serves its workers' metrics (Dramatiq's and `outbox.metrics`) on that port, bound to
    `dramatiq_prom_host` (set it to 127.0.0.1: Dramatiq's default is every interface). Both are
    read by the command's own processes, so they belong in its environment (see the Procfile)."""
    if os.environ.get("dramatiq_prom_port"):  # noqa: SIM112 (Dramatiq's own name)
        from dramatiq.middleware.prometheus import Prometheus

        broker.add_middleware(Prometheus())
