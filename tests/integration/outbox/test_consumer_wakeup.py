"""A Redis consumer waiting for work is woken by the send, and still polls for what it missed."""

import threading
import time

from outbox.broker import DOORBELL_WAIT_SECONDS, HealingRedisBroker


def take_one(consumer, taken: list) -> threading.Thread:
    def take():
        while not taken:
            message = next(consumer)
            if message is not None:
                taken.append(message)

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    return thread


def test_a_waiting_consumer_takes_a_message_as_soon_as_it_is_sent(private_runtime):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    assert isinstance(broker, HealingRedisBroker)
    # Idle for long: Dramatiq's own consumer would now sleep 30-60 s between polls.
    consumer = broker.consume(actor.queue_name, prefetch=1, timeout=60_000)
    consumer.misses = 20
    taken: list = []
    thread = take_one(consumer, taken)
    time.sleep(0.5)  # it has found the queue empty and waits
    sent = actor.send([])
    thread.join(10)
    assert [message.message_id for message in taken] == [sent.message_id]


def test_a_message_whose_ring_was_lost_is_taken_by_the_poll(private_runtime):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    consumer = broker.consume(actor.queue_name, prefetch=1, timeout=200)
    sent = actor.send([])
    broker.client.delete(broker.doorbell(actor.queue_name))  # as after a restart, say
    taken: list = []
    take_one(consumer, taken).join(10)
    assert [message.message_id for message in taken] == [sent.message_id]


def test_a_queue_waits_on_its_doorbell_and_a_delay_queue_polls_at_the_workers_pace(
    private_runtime,
):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    # Nothing rings for a due retry: Dramatiq moves it between the delay queue's fetches.
    delays = broker.consume(f"{actor.queue_name}.DQ", prefetch=1, timeout=100)
    assert delays.idle_timeout == 0.1
    consumer = broker.consume(actor.queue_name, prefetch=1, timeout=100)
    started = time.monotonic()
    assert next(consumer) is None  # an empty fetch, then the wait on the doorbell
    assert time.monotonic() - started >= DOORBELL_WAIT_SECONDS * 0.9
