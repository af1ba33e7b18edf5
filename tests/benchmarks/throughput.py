"""Relay-and-apply throughput against bare Dramatiq, and the relay's memory."""

import threading
import time

import sqlalchemy as sa

from tests.benchmarks.consumers import bench_metadata
from tests.benchmarks.harness import Bench, Row, Timer, rss_mb, wait_for_log

INSERT_PROBE_EVENTS = """
INSERT INTO outbox.events (event_id, event_name, event_version, event_time, producer, key, data)
SELECT gen_random_uuid(), 'probe.happened', 1, now(), 'probe', g::text,
       jsonb_build_object('value', g)
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
"""


def insert_probe_events(engine: sa.Engine, count: int, chunk: int = 200_000) -> None:
    for first in range(1, count + 1, chunk):
        with engine.begin() as connection:
            last = min(count, first + chunk - 1)
            connection.execute(sa.text(INSERT_PROBE_EVENTS), {"first": first, "last": last})


def pending(connection) -> int:
    return connection.scalar(sa.text("SELECT count(*) FROM outbox.events WHERE relayed_at IS NULL"))


def queued(bench: Bench, queues: list[str], namespace: str | None = None) -> int:
    """Messages still in these Dramatiq queues, including those fetched but not yet acked."""
    client = bench.redis()
    prefix = namespace or bench.settings.broker_namespace
    total = 0
    for queue in queues:
        total += client.hlen(f"{prefix}:{queue}.msgs") + client.hlen(f"{prefix}:{queue}.DQ.msgs")
    return total


def wait_settled(bench: Bench, engine: sa.Engine, queues: list[str], timeout: float) -> None:
    """Until nothing is pending in the outbox and every message has been acked."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if pending(connection) == 0 and queued(bench, queues) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError("events did not settle")


def reset_outbox(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "TRUNCATE outbox.events, outbox.event_archive, outbox.inbox, outbox.dead_letters"
            )
        )
        if sa.inspect(connection).has_table("bench_effects"):
            connection.execute(sa.text("TRUNCATE bench_effects"))


def bare_dramatiq(bench: Bench, count: int) -> float:
    """Messages per second through a do-nothing actor: enqueue `count`, wait until all acked."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    namespace = bench.settings.broker_namespace + "-bare"
    broker = RedisBroker(url=bench.settings.broker_url, namespace=namespace)
    actor = dramatiq.actor(
        _nothing, actor_name="bench.nothing", queue_name="bench_bare", broker=broker
    )
    with bench.worker("tests.benchmarks.bare", "bare-worker"):
        wait_for_log(bench.log("bare-worker"), "is ready for action", 60)
        time.sleep(1)
        senders = 4
        with Timer() as timer:
            threads = [
                threading.Thread(target=_send_many, args=(actor, range(i, count, senders)))
                for i in range(senders)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            broker.join("bench_bare", interval=50, timeout=3_600_000)
    broker.close()
    return count / timer.seconds


def _nothing(value: int) -> None:
    """The sending side of `tests.benchmarks.bare.nothing`."""


def _send_many(actor, values) -> None:
    for value in values:
        actor.send(value)


def relay_and_apply(bench: Bench, count: int, which: str = "bulk") -> float:
    """Events per second from committed outbox rows to the consumer's effects and inbox rows."""
    engine = bench.engine()
    bench_metadata.create_all(engine)
    reset_outbox(engine)
    name = f"bench_{which}"
    with (
        bench.worker("tests.benchmarks.worker", f"{which}-worker", BENCH_CONSUMER=which),
        bench.python("tests.benchmarks.relay", f"{which}-relay", "bench", BENCH_CONSUMER=which),
    ):
        wait_for_log(bench.log(f"{which}-worker"), "is ready for action", 60)
        wait_for_log(bench.log(f"{which}-relay"), "relay ready", 60)
        time.sleep(1)
        insert_probe_events(engine, count, chunk=count)  # one commit: the clock starts here
        with Timer() as timer:
            wait_settled(bench, engine, [name], timeout=3600)
    with engine.connect() as connection:
        inbox = connection.scalar(
            sa.text("SELECT count(*) FROM outbox.inbox WHERE consumer = :c"), {"c": name}
        )
        effects = connection.scalar(sa.text("SELECT count(DISTINCT event_id) FROM bench_effects"))
        rows = connection.scalar(sa.text("SELECT count(*) FROM bench_effects"))
    if not inbox == effects == rows == count:
        raise AssertionError(f"not every event applied once: inbox {inbox}, effects {rows}")
    reset_outbox(engine)
    return count / timer.seconds


def row_relay_and_apply(bench: Bench, count: int, per_event: int) -> float:
    bare = bare_dramatiq(bench, count)
    ours = relay_and_apply(bench, count, "bulk")
    bench.add(
        Row(
            f"events relayed and applied per second, bulk handler ({count:,} events)",
            ours,
            "events/s",
            "bare Dramatiq do-nothing messages/s",
            bare,
            ">= 1x",
        )
    )
    if per_event:
        # The same with a per-event handler (one statement per event), for comparison.
        each = relay_and_apply(bench, per_event, "each")
        bench.add(
            Row(
                f"  the same, per-event handler ({per_event:,} events)",
                each,
                "events/s",
                "bare Dramatiq do-nothing messages/s",
                bare,
                "(reported)",
            )
        )
    return ours


def row_relay_memory(bench: Bench, count: int) -> None:
    """The relay's RSS while relaying `count` events to a queue nobody reads."""
    engine = bench.engine()
    reset_outbox(engine)
    samples = []
    relay_process = bench.python(
        "tests.benchmarks.relay", "sink-relay", "bench", BENCH_CONSUMER="sink"
    )
    with relay_process as relay:
        wait_for_log(bench.log("sink-relay"), "relay ready", 60)
        time.sleep(2)
        start = rss_mb(relay.pid)
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(rss_mb(relay.pid))
                stop.wait(0.25)

        sampler = threading.Thread(target=sample)
        sampler.start()
        insert_probe_events(engine, count)
        with Timer() as timer:
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                with engine.connect() as connection:
                    if pending(connection) == 0:
                        break
                time.sleep(0.5)
        stop.set()
        sampler.join()
        end = rss_mb(relay.pid)
    peak = max([*samples, end])
    bench.add(
        Row(
            f"relay RSS while relaying {count:,} events (peak)",
            peak,
            "MB",
            "RSS at start",
            start,
            "grows < 50 MB",
            notes=f"grew {peak - start:+.1f} MB; at end {end:.1f} MB; "
            f"{count / timer.seconds:,.0f} events/s relayed",
        )
    )
    bench.flush_redis()
    reset_outbox(engine)
