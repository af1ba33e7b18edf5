"""A stand-in producer and consumer that exercise the outbox without any real domain.

Its effect table lives outside the app's metadata (in the default schema), so the migration
check stays exact; the tests create it themselves.
"""

import os
import time
from pathlib import Path

import sqlalchemy as sa

from outbox import consumer, registry

probe_metadata = sa.MetaData()
effects = sa.Table(
    "probe_effects",
    probe_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("value", sa.Integer, nullable=False),
)

# Event values the handler refuses, to play a broken consumer.
FAIL_ON: set[int] = set()
# A slow handler, so a worker process can be killed in the middle of its work.
DELAY_SECONDS = int(os.environ.get("PROBE_DELAY_MS", "0")) / 1000

registry.load_dir(Path(__file__).parent / "events", producer="probe")
probe = consumer("probe")
# A second consumer of the same event: one broken consumer must not hold up another.
bystander = consumer("bystander")


@probe.handles("probe.happened", versions=(1, 2))
def record(session, event):
    value = event.data["value"]
    time.sleep(DELAY_SECONDS)
    if value in FAIL_ON:
        raise RuntimeError(f"probe refuses {value}")
    session.execute(sa.insert(effects).values(event_id=event.event_id, value=value))


# The sizes of the batches the bystander was handed, to see bulk handling at work.
BULK_SIZES: list[int] = []


@bystander.handles_in_bulk("probe.happened", versions=(1, 2))
def watch(session, events):
    BULK_SIZES.append(len(events))
    rows = [{"event_id": e.event_id, "value": -e.data["value"]} for e in events]
    session.execute(sa.insert(effects), rows)
