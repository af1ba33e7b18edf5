"""Transient database errors, and running a transaction again whole when it meets one.

A deadlock or a serialization failure (PostgreSQL), a connection the database dropped (it
restarted) and a busy database file (SQLite) say nothing about the work: the same transaction run
again a moment later succeeds. Whoever retries must be idempotent (a consumer's inbox, the
close's record of the day): a connection lost during COMMIT leaves unknown whether it landed.
Never retry part of one: its earlier statements were rolled back with it.
"""

import logging
import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

T = TypeVar("T")

# serialization_failure, deadlock_detected
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 0.05


def is_transient(error: BaseException) -> bool:
    """A deadlock, a serialization failure, a connection lost (the pool replaces it) or a locked
    SQLite file: worth running again."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return isinstance(error.orig, sqlite3.OperationalError) and "locked" in str(error.orig)


def retrying(work: Callable[[], T], what: str, attempts: int = ATTEMPTS) -> T:
    """`work()`, run again whole after a transient error, with a growing jittered pause; the
    last attempt's error is raised. `work` must open and commit its own transaction."""
    attempt = 1
    while True:
        try:
            return work()
        except DBAPIError as error:
            if attempt >= attempts or not is_transient(error):
                raise
            # Jitter, so the transactions that collided do not collide again in step.
            pause = random.uniform(0, FIRST_PAUSE_SECONDS * 2**attempt)
            log.warning(
                "%s met %s (attempt %d); again in %.2f s", what, _code(error), attempt, pause
            )
            time.sleep(pause)
            attempt += 1


def _code(error: DBAPIError) -> str:
    return getattr(error.orig, "sqlstate", None) or type(error.orig).__name__
