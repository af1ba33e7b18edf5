"""The benchmark's consumers of probe events, chosen by BENCH_CONSUMER in every process.

- `bulk` (default): one set-based handler per delivery, as the domains' big-burst handlers are;
- `each`: a plain per-event handler, one statement per event;
- `sink`: registered but never run (the relay's memory figure);
- `latency`: two per-event consumers of every probe event (`bench_latency_a`, `_b`), so a
  latency sample ends when the later of two subscribers has committed.
Each writes one effect row per event to `bench_effects`, next to its inbox rows.
"""

import os
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from outbox import consumer, registry

# Outside the app's metadata (as the probe's table is); the benchmark creates it.
bench_metadata = sa.MetaData()
effects = sa.Table(
    "bench_effects",
    bench_metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("value", sa.Integer, nullable=False),
    # When the handler wrote it (epoch seconds): the latency row's end, just before the commit.
    sa.Column("done_at", sa.Float, nullable=True),
)

WHICH = os.environ.get("BENCH_CONSUMER", "bulk")
NAME = f"bench_{WHICH}"

if ("probe.happened", 1) not in {(s.name, s.version) for s in registry.schemas()}:
    registry.load_dir(Path(__file__).resolve().parent.parent / "probe" / "events", "probe")


def record_one(session, event):
    effect = {"event_id": event.event_id, "value": event.data["value"], "done_at": time.time()}
    session.execute(sa.insert(effects).values(effect))


def record_all(session, events):
    """One INSERT ... SELECT FROM unnest(...) for the whole delivery."""
    ids = sa.bindparam("ids", [e.event_id for e in events], type_=ARRAY(sa.String))
    values = sa.bindparam("values", [e.data["value"] for e in events], type_=ARRAY(sa.Integer))
    source = sa.select(sa.func.unnest(ids), sa.func.unnest(values))
    session.execute(sa.insert(effects).from_select(["event_id", "value"], source))


if WHICH == "latency":
    for subscriber in ("a", "b"):
        consumer(f"bench_latency_{subscriber}").handles("probe.happened", (1, 2))(record_one)
elif WHICH == "each":
    consumer(NAME).handles("probe.happened", versions=(1, 2))(record_one)
else:
    consumer(NAME).handles_in_bulk("probe.happened", versions=(1, 2))(record_all)
