"""The relay: moves pending outbox rows to Dramatiq, one delivery per consumer per batch.

Rows are picked by their own status (`relayed_at IS NULL`), oldest first, never by "id above
the last one seen": ids are handed out before commit and commits land out of order. On
PostgreSQL `FOR UPDATE SKIP LOCKED` lets several relays run side by side without sending a row
twice; a crash between send and mark re-sends the batch, which consumers' inboxes absorb.

Each send is recorded as owed to its consumer (`outbox.deliveries`); the same loop sends again
what a consumer has not settled well after it was due, so a broker that loses its data (or a
message) costs minutes, not money. An event no consumer subscribes to is dead-lettered.
"""

import functools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from ates.backend import Backend, backend
from ates.database import Database, utcnow
from outbox import consumers, deliveries
from outbox.events import ENVELOPE
from outbox.tables import event_archive, events
from outbox.wakeup import waiter_for

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Between batches the relay waits to be woken by a commit (outbox.wakeup); this is the poll that
# catches a missed wake-up.
POLL_SECONDS = 1.0
# After a batch while commits stream in, how long the relay lets more land before the next one,
# so a burst costs one message per consumer rather than one per event: worth it when a message
# is a broker round trip and a worker's fetch; the in-process broker's is a queue append.
GATHER_SECONDS = 0.005
CLEANUP_EVERY_SECONDS = 60
# No commit for this long is a quiet moment for the relay's chores (`Relay.do_chores`).
QUIET_SECONDS = 0.05
REDELIVER_AFTER = timedelta(minutes=5)
SETTLED_KEPT_SECONDS = 5
NOBODY = "nobody"  # the dead letters' consumer of events no consumer subscribes to

Send = Callable[[str, list[dict]], None]


def message_of(row) -> dict:
    """The broker message of an outbox or archive row."""
    message = {name: getattr(row, name) for name in ENVELOPE}
    message["event_id"] = str(row.event_id)
    message["event_time"] = row.event_time.isoformat()
    return message


def fan_out(rows: Iterable) -> dict[str, list[dict]]:
    """The messages each subscribed consumer gets from these rows (`NOBODY` gets the rest)."""
    fanned: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        message = message_of(row)
        for name in consumers.subscribers(row.event_name) or [NOBODY]:
            fanned[name].append(message)
    return fanned


class Relay:
    def __init__(
        self,
        db: Database,
        send: Send,
        batch_size: int = BATCH_SIZE,
        poll: float = POLL_SECONDS,
        *,
        redeliver_after: timedelta = REDELIVER_AFTER,
        waiting: Callable[[str], int] = lambda _consumer: 0,
        gather: float = GATHER_SECONDS,
    ):
        """`waiting(consumer)`: how many messages the broker holds for it (0 when unknown)."""
        self.db = db
        self.send = send
        self.batch_size = batch_size
        self.poll = poll
        self.gather = gather
        self.redeliver_after = redeliver_after
        self.waiting = waiting
        self._last_cleanup = 0.0
        self._last_redelivery = 0.0

    def relay_once(self) -> int:
        """Send one batch of pending events and mark them relayed; return how many.

        Picking and marking is one statement (the rows stay locked until commit, and a failed
        send rolls the mark back). On PostgreSQL the same statement copies the batch to the
        archive and records what each consumer is owed; SQLite runs those two after the sends.
        """
        db = self.db.backend
        with self.db.transaction() as session:
            now = utcnow()
            due_at = now + self.redeliver_after
            marking = {"now": now}
            if db.writes_in_ctes:
                subscribed = deliveries.subscriptions_text(db, consumers.subscriptions())
                marking |= {"due_at": due_at, "subscribed": subscribed}
            rows = sorted(session.execute(self._marking, marking).all(), key=lambda r: r.id)
            if not rows:
                return 0
            fanned = fan_out(rows)
            for message in fanned.pop(NOBODY, []):
                consumers.bury(session, NOBODY, message, "no consumer subscribes to this event")
            for consumer_name, messages in fanned.items():
                self.send(consumer_name, messages)
            if not db.writes_in_ctes:
                deliveries.owed(session, fanned, due_at)
                archive(session, [row.id for row in rows])
        return len(rows)

    @functools.cached_property
    def _marking(self):
        """Pick and mark a batch (and on PostgreSQL archive it and record it owed), built once
        (see `archive`): one round trip a batch where there were three."""
        db = self.db.backend
        pick = (
            sa.select(events.c.id)
            .where(events.c.relayed_at.is_(None))
            .order_by(events.c.id)
            .limit(self.batch_size)
        )
        # Several relays side by side each take rows the others have not locked.
        pick = db.for_update(pick, skip_locked=True)
        marking = (
            sa.update(events)
            .where(events.c.id.in_(pick.scalar_subquery()))
            .values(relayed_at=sa.bindparam("now", type_=events.c.relayed_at.type))
            .returning(*MESSAGE_COLUMNS, events.c.relayed_at)
        )
        if not db.writes_in_ctes:
            return marking
        marked = marking.cte("marked")
        archived = _archiving_from(marked).cte("archived")
        owed = deliveries.owed_of_marked(db, marked).cte("owed")
        return sa.select(marked).add_cte(archived, owed)

    def drain(self) -> int:
        total = 0
        while sent := self.relay_once():
            total += sent
        return total

    def run(self, stop: threading.Event, retention: timedelta) -> None:
        """Relay until stopped; when idle, wait for a commit to wake it (or the poll); back
        off while the broker is down."""
        failures = 0
        waiter = waiter_for(self.db)
        waiter.listen()
        woken = False
        try:
            while not stop.is_set():
                try:
                    sent = self.relay_once()
                    failures = 0
                    # Quiet: no commit woke the relay for a while, and nothing was pending.
                    self.do_chores(retention, quiet=not woken and sent == 0)
                except Exception:
                    failures += 1
                    log.exception("relay failed; retrying")
                    stop.wait(min(0.5 * 2**failures, 10))
                    continue
                woken = sent == self.batch_size  # a full batch: more are waiting
                if not woken and not stop.is_set():
                    if sent and self.gather:
                        # Commits are streaming in: let a few more land (see GATHER_SECONDS).
                        stop.wait(self.gather)
                    woken = waiter.wait(self._next_wait(), stop)
        finally:
            waiter.close()

    def do_chores(self, retention: timedelta, quiet: bool) -> None:
        """Clean up, redeliver and checkpoint when due (`_due`)."""
        cleanup, redelivery = self._due(quiet)
        if cleanup:
            self.clean_up(retention)
        if redelivery:
            self.redeliver()
            self.db.backend.checkpoint(self.db.engine)

    def _due(self, quiet: bool) -> tuple[bool, bool]:
        """Whether cleaning up and redelivering are due: past their interval in a quiet moment.
        Right after a batch, a chore's transaction held the embedded default's one write lock
        while that batch's consumers waited: every fifth second, a click waited 5-10 ms more
        (on PostgreSQL, it only held up the relay's next batch). Steady traffic leaves no quiet
        moment, so a chore past twice its interval runs anyway."""
        now = time.monotonic()
        return tuple(
            now - last > every and (quiet or now - last > 2 * every)
            for last, every in (
                (self._last_cleanup, CLEANUP_EVERY_SECONDS),
                (self._last_redelivery, self._redelivery_interval),
            )
        )

    def _next_wait(self) -> float:
        """Wait for a commit up to the poll; with a chore due, only until a quiet moment."""
        if any(self._due(quiet=True)):
            return QUIET_SECONDS
        return min(self.poll, self._redelivery_interval)

    def clean_up(self, retention: timedelta) -> int:
        """Delete relayed rows older than the retention period; refresh the planner's statistics."""
        self._last_cleanup = time.monotonic()
        cutoff = utcnow() - retention
        with self.db.transaction() as session:
            result = session.execute(sa.delete(events).where(events.c.relayed_at < cutoff))
            # The embedded default's stand-in for autovacuum: the planner's statistics follow
            # the tables as they grow.
            self.db.backend.refresh_statistics(session)
        return result.rowcount

    @property
    def _redelivery_interval(self) -> float:
        # Also how long settled deliveries wait to be forgotten: the consumers' lag and the
        # close's "catching up" read past them.
        return min(max(self.redeliver_after.total_seconds() / 4, 0.5), SETTLED_KEPT_SECONDS)

    def redeliver(self, everything: bool = False) -> int:
        """Send again what consumers have not settled by its due time; return how many.

        A consumer whose queue still holds messages is only busy, not lost: its turn waits.
        `everything` sends all that is owed at once (the embedded broker kept it in memory,
        so it is gone after a restart).
        """
        self._last_redelivery = time.monotonic()
        now = utcnow()
        cutoff = datetime.max.replace(tzinfo=now.tzinfo) if everything else now
        total = 0
        with self.db.transaction() as session:
            deliveries.forget_settled(session)
            for name in sorted(consumers.CONSUMERS):
                if not everything and self.waiting(name):
                    continue
                rows = deliveries.overdue(session, name, cutoff, limit=self.batch_size * 20)
                messages = [message_of(row) for row in rows]
                for start in range(0, len(messages), self.batch_size):
                    self.send(name, messages[start : start + self.batch_size])
                ids = [str(row.event_id) for row in rows]
                deliveries.postpone(session, name, ids, now + self.redeliver_after)
                total += len(rows)
        if total:
            log.warning("re-sent %d events the broker had not delivered in time", total)
        return total

    def resend(self, since: datetime) -> int:
        """Send again events relayed since a time (consumers ignore what they already have)."""
        total = 0
        with self.db.transaction() as session:
            query = (
                sa.select(events)
                .where(events.c.relayed_at.is_not(None), events.c.relayed_at >= since)
                .order_by(events.c.id)
            )
            for chunk in session.execute(query).yield_per(self.batch_size).partitions():
                for consumer_name, messages in fan_out(chunk).items():
                    if consumer_name != NOBODY:
                        self.send(consumer_name, messages)
                        total += len(messages)
        return total


MESSAGE_COLUMNS = (events.c.id, *(events.c[name] for name in ENVELOPE))


def archive(session, ids: list[int]) -> None:
    """Copy relayed rows into the permanent archive, in the transaction that marks them."""
    db = backend(session)
    session.execute(_archiving(db), {"ids": db.among_value(ids)})


@functools.cache
def _archiving(db: Backend):
    # Built once, as the relay's other statements: constructing one costs more than running it.
    return _archiving_from(events, db.among(events.c.id, None, sa.BigInteger))


def _archiving_from(rows: sa.FromClause, *where):
    source = sa.select(*(rows.c[name] for name in ENVELOPE), rows.c.relayed_at)
    return sa.insert(event_archive).from_select([*ENVELOPE, "relayed_at"], source.where(*where))
