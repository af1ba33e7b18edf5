"""A Redis consumer waiting for work is woken by the send (a retry by its due time), and still
fetches after a while for what it missed."""

import threading
import time

import outbox.broker
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


def test_a_waiting_consumer_takes_a_message_as_soon_as_it_is_sent(private_runtime, monkeypatch):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    assert isinstance(broker, HealingRedisBroker)
    monkeypatch.setattr(outbox.broker, "DOORBELL_WAIT_SECONDS", 60)  # only a ring wakes it
    consumer = broker.consume(actor.queue_name, prefetch=1, timeout=100)
    taken: list = []
    thread = take_one(consumer, taken)
    time.sleep(0.5)  # it has found the queue empty and waits
    sent = actor.send([])
    thread.join(10)
    assert [message.message_id for message in taken] == [sent.message_id]


def test_a_consumer_that_emptied_its_queue_waits_for_the_next_ring(private_runtime, monkeypatch):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    monkeypatch.setattr(outbox.broker, "DOORBELL_WAIT_SECONDS", 60)
    consumer = broker.consume(actor.queue_name, prefetch=10, timeout=100)
    taken: list = []
    thread = take_one(consumer, taken)
    time.sleep(0.5)
    first = actor.send([])
    thread.join(10)
    assert [message.message_id for message in taken] == [first.message_id]  # 1 of the 10 asked
    fetches = []
    monkeypatch.setattr(broker, "do_fetch", lambda *args: fetches.append(args) or [])
    taken = []
    thread = take_one(consumer, taken)
    time.sleep(0.5)
    assert fetches == []  # no fetch after one that found the queue empty: it waits for a ring
    monkeypatch.undo()
    second = actor.send([])
    thread.join(10)
    assert [message.message_id for message in taken] == [second.message_id]


def test_a_retry_wakes_its_delay_queue_which_hands_it_back_when_due(private_runtime, monkeypatch):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    monkeypatch.setattr(outbox.broker, "DOORBELL_WAIT_SECONDS", 60)
    delays = broker.consume(f"{actor.queue_name}.DQ", prefetch=10, timeout=100)
    taken: list = []
    thread = take_one(delays, taken)
    time.sleep(0.5)
    retry = broker.enqueue(actor.message([]), delay=400)  # as Dramatiq's Retries sends one
    thread.join(10)
    assert [message.message_id for message in taken] == [retry.message_id]
    started = time.monotonic()
    assert next(delays) is None  # it waits for the retry's due time, not for a ring
    assert 0.2 < time.monotonic() - started < 30
    delays.ack(taken[0])  # moved to its queue (Dramatiq's worker does it): nothing is due now


def test_a_message_whose_ring_was_lost_is_taken_by_the_next_fetch(private_runtime):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    consumer = broker.consume(actor.queue_name, prefetch=1, timeout=200)
    sent = actor.send([])
    broker.client.delete(broker.doorbell(actor.queue_name))  # as after a restart, say
    taken: list = []
    take_one(consumer, taken).join(10)
    assert [message.message_id for message in taken] == [sent.message_id]


def test_an_idle_consumer_fetches_once_a_second(private_runtime):
    broker, actor = private_runtime.broker, private_runtime.actors["accounting"]
    consumer = broker.consume(actor.queue_name, prefetch=1, timeout=100)
    started = time.monotonic()
    assert next(consumer) is None  # an empty fetch, then the wait on the doorbell
    assert time.monotonic() - started >= DOORBELL_WAIT_SECONDS * 0.9
