"""Which request or scheduled job caused an event: its correlation id, carried by every event.

The web app opens a cause per request (`caused_by(new_id("req"))`); a consumer handles each
event under that event's correlation id, so what it publishes carries the same one; a transaction
outside both (a CLI command, a scheduled job) gets an id of its own when it first publishes.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.orm import Session

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_event: ContextVar[str | None] = ContextVar("event_id", default=None)
_SESSION_KEY = "correlation_id"
# What a proxy may hand us as X-Request-ID: short, and safe to show and to log.
ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_id(kind: str) -> str:
    """`req-3f2a...`: a kind and 24 hex digits, within the envelope's 64 characters."""
    return f"{kind}-{uuid.uuid4().hex[:24]}"


def current() -> str | None:
    return _current.get()


def current_event() -> str | None:
    """The event being handled, if one is (for the logs)."""
    return _event.get()


@contextmanager
def caused_by(correlation_id: str | None, event_id: str | None = None) -> Iterator[str | None]:
    """Run the block under this correlation id (None: leave the current one), handling
    `event_id` if given."""
    event_token = _event.set(event_id) if event_id is not None else None
    token = _current.set(correlation_id) if correlation_id is not None else None
    try:
        yield current()
    finally:
        if token is not None:
            _current.reset(token)
        if event_token is not None:
            _event.reset(event_token)


def correlation_of(session: Session) -> str:
    """The correlation id of what this session publishes: the current cause, or one of the
    transaction's own (a CLI command or scheduled job), shared by all it publishes."""
    if cause := current():
        return cause
    return session.info.setdefault(_SESSION_KEY, new_id("tx"))


def begin(correlation_id: str):
    """Enter a cause until `end(token)` (for hooks that cannot wrap a block, e.g. Flask's)."""
    return _current.set(correlation_id)


def end(token) -> None:
    _current.reset(token)
