"""A stand-in consumer of the account events, to prove they reach other domains' consumers."""

import threading

from ates.bootstrap import load_schemas
from outbox import consumer, registry

load_schemas(registry)  # the account events' names come from their schemas

# Every account event carries the whole account: one handler for all of them.
ACCOUNT_EVENTS = registry.names("account")

SEEN: list[tuple[str, dict]] = []  # (event name, data) in the order handled
_lock = threading.Lock()

watcher = consumer("account_watcher")


def _record(session, event):
    with _lock:
        SEEN.append((event.event_name, event.data))


for _name in ACCOUNT_EVENTS:
    watcher.handles(_name, versions=(1,))(_record)
