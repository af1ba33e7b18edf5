"""The relay: moves pending outbox rows to Dramatiq, one delivery per consumer per batch.

Rows are picked by their own status (`relayed_at IS NULL`), oldest first, never by "id above
the last one seen": ids are handed out before commit and commits land out of order. On
PostgreSQL `FOR UPDATE SKIP LOCKED` lets several relays run side by side without sending a row
twice; a crash between send and mark re-sends the batch, which consumers' inboxes absorb.
"""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from ates.backend import backend
from ates.database import Database, utcnow
from outbox import consumers
from outbox.events import ENVELOPE
from outbox.tables import dead_letters, event_archive, events, inbox
from outbox.wakeup import waiter_for

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Between batches the relay waits to be woken by a commit (outbox.wakeup); this is the poll that
# catches a missed wake-up.
POLL_SECONDS = 1.0
CLEANUP_EVERY_SECONDS = 60

Send = Callable[[str, list[dict]], None]


def message_of(row) -> dict:
    """The broker message of an outbox or archive row."""
    message = {name: getattr(row, name) for name in ENVELOPE}
    message["event_id"] = str(row.event_id)
    message["event_time"] = row.event_time.isoformat()
    return message


def fan_out(rows: Iterable) -> dict[str, list[dict]]:
    """The messages each subscribed consumer gets from these rows."""
    deliveries: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        message = message_of(row)
        for name in consumers.subscribers(row.event_name):
            deliveries[name].append(message)
    return deliveries


class Relay:
    def __init__(
        self, db: Database, send: Send, batch_size: int = BATCH_SIZE, poll: float = POLL_SECONDS
    ):
        self.db = db
        self.send = send
        self.batch_size = batch_size
        self.poll = poll
        self._last_cleanup = 0.0

    def relay_once(self) -> int:
        """Send one batch of pending events and mark them relayed; return how many.

        Picking and marking is one statement (the rows stay locked until commit, and a failed
        send rolls the mark back); the archive copy is one more. Two round trips a batch.
        """
        with self.db.transaction() as session:
            now = utcnow()
            pick = (
                sa.select(events.c.id)
                .where(events.c.relayed_at.is_(None))
                .order_by(events.c.id)
                .limit(self.batch_size)
            )
            # Several relays side by side each take rows the others have not locked.
            pick = self.db.backend.for_update(pick, skip_locked=True)
            marked = (
                sa.update(events)
                .where(events.c.id.in_(pick.scalar_subquery()))
                .values(relayed_at=now)
                .returning(*MESSAGE_COLUMNS)
            )
            rows = sorted(session.execute(marked).all(), key=lambda row: row.id)
            if not rows:
                return 0
            for consumer_name, messages in fan_out(rows).items():
                self.send(consumer_name, messages)
            archive(session, [row.id for row in rows])
        return len(rows)

    def drain(self) -> int:
        total = 0
        while sent := self.relay_once():
            total += sent
        return total

    def run(self, stop: threading.Event, retention: timedelta) -> None:
        """Relay until stopped; when idle, wait for a commit to wake it (or the poll); back
        off while the broker is down."""
        failures = 0
        waiter = waiter_for(self.db.url)
        waiter.listen()
        try:
            while not stop.is_set():
                try:
                    sent = self.relay_once()
                    failures = 0
                    if time.monotonic() - self._last_cleanup > CLEANUP_EVERY_SECONDS:
                        self.clean_up(retention)
                except Exception:
                    failures += 1
                    log.exception("relay failed; retrying")
                    stop.wait(min(0.5 * 2**failures, 10))
                    continue
                if sent < self.batch_size and not stop.is_set():
                    waiter.wait(self.poll, stop)
        finally:
            waiter.close()

    def clean_up(self, retention: timedelta) -> int:
        """Delete relayed rows older than the retention period."""
        self._last_cleanup = time.monotonic()
        cutoff = utcnow() - retention
        with self.db.transaction() as session:
            result = session.execute(sa.delete(events).where(events.c.relayed_at < cutoff))
        return result.rowcount

    def resend(self, since: datetime, only_unhandled: bool = False) -> int:
        """Send again events relayed since a time (after the broker lost its data).

        With `only_unhandled`, skip what each consumer already handled or buried: the
        embedded broker keeps messages in memory, so the app re-sends those on start.
        """
        total = 0
        with self.db.transaction() as session:
            query = (
                sa.select(events)
                .where(events.c.relayed_at.is_not(None), events.c.relayed_at >= since)
                .order_by(events.c.id)
            )
            for chunk in session.execute(query).yield_per(self.batch_size).partitions():
                for consumer_name, messages in fan_out(chunk).items():
                    if only_unhandled:
                        messages = _unhandled(session, consumer_name, messages)
                    if messages:
                        self.send(consumer_name, messages)
                        total += len(messages)
        return total


MESSAGE_COLUMNS = (events.c.id, *(events.c[name] for name in ENVELOPE))


def archive(session, ids: list[int]) -> None:
    """Copy relayed rows into the permanent archive, in the transaction that marks them."""
    source = sa.select(*MESSAGE_COLUMNS[1:], events.c.relayed_at)
    session.execute(
        sa.insert(event_archive).from_select(
            [*ENVELOPE, "relayed_at"],
            source.where(backend(session).among(events.c.id, ids, sa.BigInteger)),
        )
    )


def _unhandled(session, consumer_name: str, messages: list[dict]) -> list[dict]:
    ids = [m["event_id"] for m in messages]
    done = set(
        session.scalars(
            sa.select(inbox.c.event_id).where(
                inbox.c.consumer == consumer_name, inbox.c.event_id.in_(ids)
            )
        )
    ) | set(
        session.scalars(
            sa.select(dead_letters.c.event_id).where(
                dead_letters.c.consumer == consumer_name, dead_letters.c.event_id.in_(ids)
            )
        )
    )
    return [m for m in messages if m["event_id"] not in done]
