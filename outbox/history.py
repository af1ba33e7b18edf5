"""Rebuilding a read model: every archived event a consumer subscribes to, handled again."""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import Database
from outbox.consumers import CONSUMERS, apply_batch, bury
from outbox.relay import BATCH_SIZE, message_of
from outbox.tables import event_archive, events, inbox


def archived_count(db: Database, consumer_name: str) -> int:
    """How many archived events the consumer subscribes to (the length of a rebuild)."""
    names = list(CONSUMERS[consumer_name].handlers)
    with db.reading() as session:
        return session.scalar(
            sa.select(sa.func.count()).where(event_archive.c.event_name.in_(names))
        )


def rebuild(
    db: Database,
    consumer_name: str,
    forget: Callable[[Session], None],
    progress: Callable[[int], None] = lambda _count: None,
) -> int:
    """Empty the consumer's read model (`forget`) and its inbox in one transaction, then apply
    the archive to it again, oldest first. Deliveries that arrive meanwhile are deduplicated by
    the inbox as usual, whichever comes first."""
    names = list(CONSUMERS[consumer_name].handlers)
    with db.transaction() as session:
        forget(session)
        session.execute(sa.delete(inbox).where(inbox.c.consumer == consumer_name))
    handled, last_id = 0, 0
    while chunk := _archived_after(db, names, last_id):
        last_id = chunk[-1].id
        outcome = apply_batch(db, consumer_name, [message_of(row) for row in chunk])
        if outcome.failed:
            with db.transaction() as session:
                for message, error in outcome.failed:
                    bury(session, consumer_name, message, f"rebuild: {error}")
        handled += len(chunk)
        progress(len(chunk))
    return handled


def _archived_after(db: Database, names: list[str], last_id: int) -> list:
    # Short reads, keyed by id: SQLite's one writer stays free for the handlers.
    with db.reading() as session:
        return session.execute(
            sa.select(event_archive)
            .where(event_archive.c.event_name.in_(names), event_archive.c.id > last_id)
            .order_by(event_archive.c.id)
            .limit(BATCH_SIZE)
        ).all()


def published_ids(session, name: str, at) -> sa.Select:
    """The ids (as text) of the events of one name published at one moment (e.g. a Reassign's
    task.assigned), whether still in the work queue or archived: what consumers record them by."""
    database = backend(session)
    return sa.union(
        *(
            sa.select(database.as_text(table.c.event_id).label("event_id")).where(
                table.c.event_name == name, table.c.event_time == at
            )
            for table in (events, event_archive)
        )
    )
