"""What a parrot feels: from a command's commit to the last subscriber's effect committed.

Each sample is one probe event published in its own transaction through the app's `publish`
(the relay is woken by that commit), handled by two per-event consumers; it ends at the later
of the two effect rows (stamped by each consumer's handler, its last write before the commit). The
baseline is bare Dramatiq in the same run with the same worker settings: a message sent with
its send time, and the moment its actor begins to run. Both idle (one event every 0.3-0.7 s)
and under a steady load (200 events/s). The embedded default is also set against its own floor
(reported): the same bare Dramatiq with two actors that each commit an effect row in SQLite, as
any two subscribers must, so what the outbox, the relay and the inboxes add is read apart.

`python -m tests.benchmarks.latency embedded` measures the embedded default in a process of its
own (SQLite, the in-process broker and relay) and prints the samples as JSON.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from tests.benchmarks.harness import Bench, Row, percentile, wait_for_log

IDLE_SAMPLES = 40
LOAD_RATE = 200
LOAD_SECONDS = 10
SUBSCRIBERS = ("bench_latency_a", "bench_latency_b")


def schedules() -> dict[str, list[float]]:
    """Send times (s from start): idle at random gaps, load at a steady rate."""
    rng = random.Random(18)
    idle, at = [], 0.0
    for _ in range(IDLE_SAMPLES):
        at += rng.uniform(0.3, 0.7)
        idle.append(at)
    load = [i / LOAD_RATE for i in range(LOAD_RATE * LOAD_SECONDS)]
    return {"idle": idle, "load": load}


def run_schedule(offsets: list[float], fire) -> None:
    start = time.perf_counter()
    for offset in offsets:
        delay = start + offset - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        fire()


def ours(db, offsets: list[float], timeout: float = 120) -> dict[str, list[float]]:
    """Latencies (s) of events published on this schedule, each from its commit: to the second
    subscriber's effect (`total`), and to the relay picking it up (`relay`)."""
    from outbox import publish
    from outbox.tables import event_archive

    committed: dict[str, float] = {}

    def fire():
        with db.transaction() as session:
            event = publish(
                session, "probe.happened", 1, producer="probe", key="lat", data={"value": 1}
            )
        committed[event.event_id] = time.time()

    run_schedule(offsets, fire)
    done = both_committed(db, list(committed), "the latency probes were not all handled", timeout)
    with db.reading() as session:
        relayed = session.execute(sa.select(event_archive.c.event_id, event_archive.c.relayed_at))
        at_relay = [t.timestamp() - committed[str(e)] for e, t in relayed if str(e) in committed]
    return {
        "total": [done[event_id] - at for event_id, at in committed.items()],
        "relay": at_relay,
    }


def polled(fetch, complete, what: str, timeout: float = 120):
    """`fetch()` again every 0.1 s until `complete(result)`; that result."""
    deadline = time.monotonic() + timeout
    while not complete(result := fetch()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)
    return result


def at_least(count: int):
    return lambda n: n >= count


def both_committed(db, keys: list[str], what: str, timeout: float = 120) -> dict[str, float]:
    """When the later of the two effect rows of each key was written, once all are."""
    from tests.benchmarks.consumers import effects

    query = (
        sa.select(effects.c.event_id, sa.func.max(effects.c.done_at))
        .where(effects.c.event_id.in_(keys))
        .group_by(effects.c.event_id)
        .having(sa.func.count() == len(SUBSCRIBERS))
    )

    def fetch():
        with db.reading() as session:
            return dict(session.execute(query).all())

    return polled(fetch, lambda done: len(done) == len(keys), what, timeout)


def _stamp(sent_at: float) -> None:
    """The sending side of `tests.benchmarks.bare.stamp`."""


def bare_redis(bench: Bench, offsets: list[float]) -> list[float]:
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    namespace = bench.settings.broker_namespace + "-bare"
    broker = RedisBroker(url=bench.settings.broker_url, namespace=namespace)
    actor = dramatiq.actor(
        _stamp, actor_name="bench.stamp", queue_name="bench_stamp", broker=broker
    )
    key = f"{namespace}:latencies"
    client = bench.redis()
    client.delete(key)
    run_schedule(offsets, lambda: actor.send(time.time()))
    polled(lambda: client.llen(key), at_least(len(offsets)), "the baseline was not all run")
    samples = [float(v) for v in client.lrange(key, 0, -1)]
    client.delete(key)
    broker.close()
    return samples


def measure_services(bench: Bench) -> dict:
    """PostgreSQL + Redis: real worker and relay processes, the bench's worker settings."""
    from tests.benchmarks.consumers import bench_metadata

    engine = bench.engine()
    bench_metadata.create_all(engine)
    db = bench.runtime().db
    results = {}
    plans = schedules()
    with bench.worker("tests.benchmarks.bare", "latency-bare-worker"):
        wait_for_log(bench.log("latency-bare-worker"), "is ready for action", 60)
        time.sleep(2)
        for mode, offsets in plans.items():
            results.setdefault(mode, {})["bare"] = bare_redis(bench, offsets)
    with (
        bench.worker("tests.benchmarks.worker", "latency-worker", BENCH_CONSUMER="latency"),
        bench.python("tests.benchmarks.relay", "latency-relay", "bench", BENCH_CONSUMER="latency"),
    ):
        wait_for_log(bench.log("latency-worker"), "is ready for action", 60)
        wait_for_log(bench.log("latency-relay"), "relay ready", 60)
        time.sleep(2)
        for mode, offsets in plans.items():
            results[mode]["ours"] = ours(db, offsets)
    return results


def measure_embedded(log_dir: Path) -> dict:
    """The embedded default, measured in a process of its own (see `embedded_main`)."""
    var_dir = Path(tempfile.mkdtemp(prefix="latency-", dir=log_dir))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BROKER_URL")}
    env |= {
        "DATABASE_URL": f"sqlite:///{var_dir / 'ates.sqlite3'}",
        "ATES_VAR_DIR": str(var_dir),
        "BENCH_CONSUMER": "latency",
        "SECRET_KEY": "bench-secret",
    }
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.latency", "embedded"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def floor_actors(broker, db) -> list:
    """Two actors that each commit one effect row in the app's database, as a subscriber must:
    the embedded default's own floor, without the outbox, the relay and the inboxes."""
    import dramatiq

    from tests.benchmarks.consumers import effects

    def commit_effect(key: str) -> None:
        with db.transaction() as session:
            done = {"event_id": key, "value": 0, "done_at": time.time()}
            session.execute(sa.insert(effects).values(done))

    return [
        dramatiq.actor(
            commit_effect,
            actor_name=f"bench.floor_{n}",
            queue_name=f"bench_floor_{n}",
            broker=broker,
        )
        for n in ("a", "b")
    ]


def floor_samples(db, actors: list, offsets: list[float]) -> list[float]:
    """From sending to both actors to the later of their two commits."""
    sent: dict[str, float] = {}

    def fire():
        key = f"floor-{uuid.uuid4()}"
        sent[key] = time.time()
        for actor in actors:
            actor.send(key)

    run_schedule(offsets, fire)
    done = both_committed(db, list(sent), "the floor's effects were not all committed")
    return [done[key] - at for key, at in sent.items()]


def embedded_main() -> None:
    """SQLite, the in-process broker with the embedded worker threads and relay, as `make run`."""
    import dramatiq
    from dramatiq.brokers.stub import StubBroker

    import tests.benchmarks.consumers as bench_consumers
    from ates.bootstrap import start
    from migrations import upgrade
    from outbox.embedded import WORKER_THREADS, WORKER_TIMEOUT_MS

    upgrade(os.environ["DATABASE_URL"])
    runtime = start()
    bench_consumers.bench_metadata.create_all(runtime.db.engine)
    plans = schedules()
    results: dict = {mode: {} for mode in plans}

    samples: list[float] = []
    broker = StubBroker()
    actor = dramatiq.actor(
        lambda sent_at: samples.append(time.time() - sent_at),
        actor_name="bench.stamp",
        queue_name="bench_stamp",
        broker=broker,
    )
    worker = dramatiq.Worker(
        broker, worker_threads=WORKER_THREADS, worker_timeout=WORKER_TIMEOUT_MS
    )
    floor = floor_actors(broker, runtime.db)
    worker.start()
    for mode, offsets in plans.items():
        samples.clear()
        run_schedule(offsets, lambda: actor.send(time.time()))
        polled(samples.__len__, at_least(len(offsets)), "the baseline was not all run")
        results[mode]["bare"] = list(samples)
        results[mode]["floor"] = floor_samples(runtime.db, floor, offsets)
    worker.stop()

    background = runtime.start_embedded_workers()
    time.sleep(1)
    for mode, offsets in plans.items():
        results[mode]["ours"] = ours(runtime.db, offsets)
    background.stop()
    print(json.dumps(results))


# What each sample is set against: the baseline, and (embedded only) the floor of any
# design that commits two subscribers' effects (`floor_actors`).
BASELINES = {
    "bare": ("bare Dramatiq send -> actor run p95", "<= 2x"),
    "floor": ("bare Dramatiq + two SQLite commits (the floor) p95", "reported"),
}


def add_rows(bench: Bench, where: str, results: dict, settings: str, against="bare") -> None:
    baseline, goal = BASELINES[against]
    for mode, label in (("idle", "idle"), ("load", f"{LOAD_RATE} events/s")):
        mine, base = results[mode]["ours"]["total"], results[mode][against]
        relay = results[mode]["ours"]["relay"]
        bench.add(
            Row(
                f"latency commit -> 2nd subscriber committed, {label}, {where} (p95)",
                percentile(mine, 95) * 1000,
                "ms",
                baseline,
                percentile(base, 95) * 1000,
                goal,
                notes=f"p50 {percentile(mine, 50) * 1000:.1f} ms vs "
                f"{percentile(base, 50) * 1000:.1f} ms; relay picked it up at p50 "
                f"{percentile(relay, 50) * 1000:.1f} ms; {len(mine)} samples; {settings}",
            )
        )


def row_latency(bench: Bench) -> None:
    poll = os.environ.get("dramatiq_worker_timeout", "1000")  # noqa: SIM112 (Dramatiq's name)
    add_rows(
        bench,
        "PostgreSQL + Redis",
        measure_services(bench),
        f"{bench.processes} processes x {bench.threads} threads, idle poll {poll} ms",
    )
    from outbox.embedded import WORKER_THREADS

    embedded, threads = measure_embedded(bench.log_dir), f"{WORKER_THREADS} worker threads"
    add_rows(bench, "embedded", embedded, threads)
    add_rows(bench, "embedded", embedded, threads, against="floor")


if __name__ == "__main__" and sys.argv[1:] == ["embedded"]:
    embedded_main()
