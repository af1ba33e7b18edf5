"""A stand-in consumer of the account events, to prove they reach other domains' consumers."""

import threading

from outbox import consumer

ACCOUNT_EVENTS = (
    "account.created",
    "account.updated",
    "account.role_changed",
    "account.deactivated",
    "account.reactivated",
)

SEEN: list[tuple[str, dict]] = []  # (event name, data) in the order handled
_lock = threading.Lock()

watcher = consumer("account_watcher")


def _record(session, event):
    with _lock:
        SEEN.append((event.event_name, event.data))


for _name in ACCOUNT_EVENTS:
    watcher.handles(_name, versions=(1,))(_record)
