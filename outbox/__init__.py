"""The transactional outbox: the only thing the domains share.

Domains publish with `publish(session, ...)` inside their own transaction and declare handlers
with `consumer(name).handles(event, versions)`. The relay and the Dramatiq actors live here too.
"""

from outbox.consumers import consumer
from outbox.events import Event, InvalidEvent, registry
from outbox.publish import publish, publish_events

__all__ = ["Event", "InvalidEvent", "consumer", "publish", "publish_events", "registry"]
