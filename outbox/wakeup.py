"""Waking the relay when a transaction that published events commits, instead of polling.

PostgreSQL: a statement trigger on `outbox.events` sends `NOTIFY outbox_published` (migration
0004); the server delivers it only when the publishing transaction commits, to every relay
LISTENing, in whichever process it runs. In this process (the embedded default, and tests) a
session that published rings a doorbell after its commit. Either may be missed (a relay
reconnecting, an insert by hand), so the relay still polls, just rarely.
"""

import logging
import threading

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from ates.database import Database

log = logging.getLogger(__name__)

CHANNEL = "outbox_published"
_PUBLISHED = "outbox_published"
# A waiting relay looks at its stop flag this often, however long its poll.
SLICE_SECONDS = 0.5


def _sliced(wait_once, timeout: float, stop: threading.Event | None) -> bool:
    """Wait up to `timeout` in slices, returning early when woken or stopped."""
    remaining = timeout
    while remaining > 0 and not (stop and stop.is_set()):
        step = min(SLICE_SECONDS, remaining)
        if wait_once(step):
            return True
        remaining -= step
    return False


class Doorbell:
    """Rung after a commit that published; the embedded relay waits on it."""

    def __init__(self):
        self._rung = threading.Event()

    def ring(self) -> None:
        self._rung.set()

    def listen(self) -> None:
        """Always listening."""

    def wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        rung = _sliced(self._rung.wait, timeout, stop)
        # Cleared before the relay looks: a ring after this is seen by the next wait.
        self._rung.clear()
        return rung

    def close(self) -> None:
        """Nothing to release (the relay closes its waiter, whichever it is)."""


doorbell = Doorbell()


def published(session: Session) -> None:
    """Note that this session's transaction wrote outbox rows (called by `publish`)."""
    session.info[_PUBLISHED] = True


@event.listens_for(Session, "after_commit")
def _ring_after_commit(session: Session) -> None:
    if session.info.pop(_PUBLISHED, False):
        doorbell.ring()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PUBLISHED, None)


class Listener:
    """A connection of its own that LISTENs on the channel; reconnects after losing it."""

    def __init__(self, database_url: str):
        url = sa.make_url(database_url).set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.connection = None

    def listen(self) -> None:
        """LISTEN now: the relay listens before it scans, so no commit falls in between."""
        try:
            self._connected()
        except Exception as error:
            log.warning("relay cannot LISTEN (%s); polling", error)

    def wait(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """True when a notification came within `timeout` seconds (then drain the rest)."""
        try:
            connection = self._connected()
            woken = _sliced(
                lambda step: any(True for _ in connection.notifies(timeout=step, stop_after=1)),
                timeout,
                stop,
            )
            if woken:
                # Several commits while the relay worked need one pass, not several. Timeout 0
                # takes what has arrived: psycopg polls in a busy loop until a timeout, so even
                # 1 ms cost the relay a millisecond of CPU on every wake-up.
                for _ in connection.notifies(timeout=0):
                    pass
            return woken
        except Exception as error:  # the database restarting: poll until it is back
            log.warning("relay lost its LISTEN connection (%s); polling", error)
            self.close()
            (stop or threading.Event()).wait(timeout)
            return False

    def _connected(self):
        if self.connection is None or self.connection.closed:
            import psycopg

            self.connection = psycopg.connect(self.conninfo, autocommit=True)
            self.connection.execute(f"LISTEN {CHANNEL}")
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


def waiter_for(db: Database):
    """What a relay waits on between batches: the server's notifications, or the doorbell."""
    return Listener(db.url) if db.backend.notifies_on_commit else doorbell
