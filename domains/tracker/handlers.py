"""The tracker's worker pool, kept from auth's account events.

Every account event carries the whole account and its version, so each handler is the same
upsert: a row is replaced only by a higher version. Events may come in any order and any number
of times; the pool always ends at the newest version seen.
"""

from sqlalchemy.orm import Session

from ates.backend import backend
from domains.tracker.tables import assignees
from outbox import Event, consumer, registry

tracker = consumer("tracker")

# Every account event carries the whole account: one handler for all of them.
ACCOUNT_EVENTS = registry.names("account")
FIELDS = ("login", "full_name", "role", "active", "version")


def when_account_changed_keep_the_newest(session: Session, event: Event) -> None:
    """Insert the account, or replace ours if the event's version is higher."""
    data = event.data
    row = {"public_id": data["public_id"]} | {name: data[name] for name in FIELDS}
    statement = backend(session).insert(assignees).values(row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[assignees.c.public_id],
            set_={name: statement.excluded[name] for name in FIELDS},
            where=statement.excluded.version > assignees.c.version,
        )
    )


for _name in ACCOUNT_EVENTS:
    tracker.handles(_name, versions=(1,))(when_account_changed_keep_the_newest)
