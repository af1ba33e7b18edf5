"""Consumers: handlers registered per (consumer, event name, versions), applied once per event.

A delivery is a batch of event messages for one consumer. The batch is applied in one
transaction together with the consumer's inbox rows, so a redelivered event is a no-op. If any
handler raises, the batch is applied again event by event under savepoints, so one bad event
never sinks the others: the good ones commit, the bad one is retried on its own and, after its
retries, dead-lettered.

Hot rows: a handful of ledger accounts receive every fee and reward, so concurrent batches
write the same few rows. A consumer's `locks_first` hook takes the rows a batch will write, in
one order, before any handler runs: batches queue for those rows instead of deadlocking on
them. A deadlock or serialization failure that happens anyway is transient, not a bad event:
the whole batch runs again (`outbox.transient`), and after its attempts the delivery is retried
by the broker, never applied event by event.

A consumer with side effects outside the database (e-mail) is declared `one_at_a_time`: each
event gets its own delivery and transaction, applied once per attempt (never a batch pass then a
second pass), so one event's failure never rolls back another's side effect. A handler's
`on_failure(session, event, error)` runs after its savepoint is rolled back and commits with the
rest, so a failed attempt can leave a record (attempts, last error) while the event is retried.
"""

import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import Backend, backend
from ates.database import Database, utcnow
from outbox.events import Event, InvalidEvent, registry
from outbox.tables import dead_letters, inbox
from outbox.tracing import caused_by
from outbox.transient import is_transient, retrying

log = logging.getLogger(__name__)

HandlerFn = Callable[[Session, Event], None]
BulkHandlerFn = Callable[[Session, list[Event]], None]
LockFn = Callable[[Session, list[Event]], None]
FailureFn = Callable[[Session, Event, str], None]


@dataclass
class Consumer:
    """A domain's subscription: which events it handles, in which versions, and how."""

    name: str
    handlers: dict[str, tuple[frozenset[int], Callable]] = field(default_factory=dict)
    # Events whose handler takes the whole batch at once (set-based work for big bursts).
    in_bulk: set[str] = field(default_factory=set)
    # Called after a failed attempt, in a transaction that commits (see the module docstring).
    failure_handlers: dict[str, FailureFn] = field(default_factory=dict)
    one_at_a_time: bool = False
    # Takes the rows every batch writes (see the module docstring), first in each transaction.
    lock_first: LockFn | None = None

    def locks_first(self, fn: LockFn) -> LockFn:
        """Register `fn(session, events)`: lock, in one order, the shared rows a batch writes."""
        self.lock_first = fn
        return fn

    def lock(self, session: Session, batch: list[Event]) -> None:
        if self.lock_first is not None and batch:
            self.lock_first(session, batch)

    def handles(
        self,
        event_name: str,
        versions: tuple[int, ...] | list[int],
        on_failure: FailureFn | None = None,
    ):
        """Register `fn(session, event)` for these versions of an event."""

        def register(fn: HandlerFn) -> HandlerFn:
            if event_name in self.handlers:
                raise ValueError(f"{self.name} already handles {event_name}")
            self.handlers[event_name] = (frozenset(versions), fn)
            if on_failure is not None:
                self.failure_handlers[event_name] = on_failure
            return fn

        return register

    def handles_in_bulk(self, event_name: str, versions: tuple[int, ...] | list[int]):
        """Register `fn(session, events)`, called once per delivery with all its events of
        that name (a Reassign of 100,000 tasks arrives in batches of hundreds)."""

        def register(fn: BulkHandlerFn) -> BulkHandlerFn:
            self.handles(event_name, versions)(fn)
            self.in_bulk.add(event_name)
            return fn

        return register

    def apply(self, session: Session, batch: list[Event]) -> None:
        """Run the handlers over events already checked by `handler_for`."""
        # Bulk events wait in groups until a per-event handler's turn comes, so a delivery's
        # order holds between the two kinds (an assignment is charged before its completion).
        # What a handler publishes carries the correlation id of the event it handles, so bulk
        # events are grouped by it too (a Reassign's burst shares one).
        bulk: dict[tuple[str, str | None], list[Event]] = {}
        for event in batch:
            if event.event_name in self.in_bulk:
                bulk.setdefault((event.event_name, event.correlation_id), []).append(event)
                continue
            self._flush(session, bulk)
            with caused_by(event.correlation_id, event.event_id):
                self.handlers[event.event_name][1](session, event)
        self._flush(session, bulk)

    def _flush(self, session: Session, bulk: dict[tuple[str, str | None], list[Event]]) -> None:
        for (event_name, correlation_id), events in bulk.items():
            with caused_by(correlation_id):
                self.handlers[event_name][1](session, events)
        bulk.clear()

    def check(self, event: Event) -> None:
        """Refuse an event this consumer does not handle, or whose data fails its schema."""
        if event.event_name not in self.handlers:
            raise InvalidEvent(f"{self.name} does not handle {event.event_name}")
        versions, _fn = self.handlers[event.event_name]
        if event.event_version not in versions:
            accepted = ", ".join(f"v{v}" for v in sorted(versions))
            raise InvalidEvent(
                f"{self.name} accepts {event.event_name} {accepted}, not v{event.event_version}"
            )
        registry.validate(event.event_name, event.event_version, event.data)


CONSUMERS: dict[str, Consumer] = {}


def consumer(name: str, *, one_at_a_time: bool = False) -> Consumer:
    """The one Consumer of that name (domains call this at import to declare handlers)."""
    declared = CONSUMERS.setdefault(name, Consumer(name))
    declared.one_at_a_time = declared.one_at_a_time or one_at_a_time
    return declared


def subscribers(event_name: str) -> list[str]:
    return sorted(name for name, c in CONSUMERS.items() if event_name in c.handlers)


def subscriptions() -> dict[str, list[str]]:
    """Every event some consumer handles, with its `subscribers`."""
    names = {name for c in CONSUMERS.values() for name in c.handlers}
    return {name: subscribers(name) for name in sorted(names)}


@dataclass
class Outcome:
    applied: int = 0
    duplicates: int = 0
    dead: int = 0
    failed: list[tuple[dict, str]] = field(default_factory=list)


def apply_batch(db: Database, consumer_name: str, messages: list[dict]) -> Outcome:
    """Apply a delivery; return what failed in a handler (for retry), having committed the rest."""
    handler = CONSUMERS[consumer_name]
    parsed, rejected = [], []
    for message in messages:
        try:
            event = Event.from_message(message)
            handler.check(event)
            parsed.append((message, event))
        except InvalidEvent as error:
            rejected.append((message, str(error)))
    what = f"{consumer_name} applying {len(messages)} events"
    if handler.one_at_a_time:
        return retrying(lambda: _apply_one_by_one(db, consumer_name, parsed, rejected), what)
    try:
        return retrying(lambda: _apply_together(db, consumer_name, parsed, rejected), what)
    except Exception as error:
        if is_transient(error):
            raise  # still colliding after its attempts: the broker retries the whole delivery
    return retrying(lambda: _apply_one_by_one(db, consumer_name, parsed, rejected), what)


def _apply_together(db, consumer_name, parsed, rejected) -> Outcome:
    handler = CONSUMERS[consumer_name]
    outcome = Outcome()
    with db.transaction() as session:
        handler.lock(session, [event for _message, event in parsed])
        fresh = _claim(session, consumer_name, parsed, outcome)
        handler.apply(session, [event for _message, event in fresh])
        _bury(session, consumer_name, rejected, outcome)
        outcome.applied = len(fresh)
    return outcome


def _apply_one_by_one(db, consumer_name, parsed, rejected) -> Outcome:
    handler = CONSUMERS[consumer_name]
    outcome = Outcome()
    with db.transaction() as session:
        handler.lock(session, [event for _message, event in parsed])
        for item in parsed:
            message, event = item
            try:
                with session.begin_nested():
                    if _claim(session, consumer_name, [item], outcome):
                        handler.apply(session, [event])
                        outcome.applied += 1
            except Exception as error:
                if is_transient(error):
                    raise  # the transaction is spent: it runs again whole
                _failed(session, consumer_name, message, event, error, outcome)
        _bury(session, consumer_name, rejected, outcome)
    return outcome


def _failed(session, consumer_name, message, event, error, outcome) -> None:
    reason = _describe(error)
    outcome.failed.append((message, reason))
    note = CONSUMERS[consumer_name].failure_handlers.get(event.event_name)
    if note is None:
        return
    try:
        with session.begin_nested():
            note(session, event, reason)
    except Exception:
        log.exception("%s could not record the failure of %s", consumer_name, event.event_id)


def _claim(session, consumer_name, parsed, outcome) -> list:
    """Write the consumer's inbox rows for these events, in one statement; return the events
    not handled before (a redelivery, or a second copy in the batch, counts as a duplicate).

    A concurrent delivery of the same event waits on the other's row and then skips it.
    """
    unique = {}
    for item in parsed:
        unique.setdefault(item[1].event_id, item)
    outcome.duplicates += len(parsed) - len(unique)
    if not unique:
        return []
    now = utcnow()
    rows = [
        {"consumer": consumer_name, "event_id": event_id, "handled_at": now} for event_id in unique
    ]
    db = backend(session)
    claimed = set(session.scalars(_claiming(db), {"claimed": db.records_text(CLAIMED, rows)}))
    outcome.duplicates += len(unique) - len(claimed)
    return [item for event_id, item in unique.items() if event_id in claimed]


CLAIMED = {key: inbox.c[key].type for key in ("consumer", "event_id", "handled_at")}


@functools.cache
def _claiming(db: Backend):
    # Built once: constructing the statement cost as much as running it, on every delivery.
    source = db.records(CLAIMED, None, "claimed")
    # `WHERE true`: SQLite reads ON CONFLICT after a bare SELECT as a join's ON.
    claim = db.insert(inbox).from_select(list(CLAIMED), sa.select(*source.c).where(sa.true()))
    return claim.on_conflict_do_nothing(index_elements=["consumer", "event_id"]).returning(
        inbox.c.event_id
    )


def _bury(session, consumer_name, rejected, outcome) -> None:
    for message, error in rejected:
        bury(session, consumer_name, message, error)
        outcome.dead += 1


def bury(session: Session, consumer_name: str, message, error: str, attempts: int = 1) -> None:
    """Put a message in the dead-letter table with the reason it could not be handled.

    One letter per (consumer, event): burying it again (a redelivery, a failed replay) adds the
    attempts, keeps the last error and makes it wait for a replay again.
    """
    fields = message if isinstance(message, dict) else {}
    version = fields.get("event_version")
    event_id = event_id_of(fields.get("event_id"))
    now = utcnow()
    letter = (
        backend(session)
        .insert(dead_letters)
        .values(
            consumer=consumer_name,
            event_id=event_id or fingerprint(message),
            event_name=str(fields.get("event_name"))[:100] if fields.get("event_name") else None,
            event_version=version if isinstance(version, int) else None,
            message=message if isinstance(message, dict) else {"raw": repr(message)[:10_000]},
            error=error,
            attempts=attempts,
            failed_at=now,
        )
    )
    session.execute(
        letter.on_conflict_do_update(
            index_elements=["consumer", "event_id"],
            set_={
                "error": error,
                "failed_at": now,
                "replayed_at": None,
                "attempts": dead_letters.c.attempts + letter.excluded.attempts,
            },
        )
    )


def event_id_of(value) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def fingerprint(message) -> str:
    """The key of a message without a readable event id: a digest of its body."""
    body = json.dumps(message, sort_keys=True, default=repr)
    return "sha1:" + hashlib.sha1(body.encode()).hexdigest()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
