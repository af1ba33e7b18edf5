"""The bounded contexts. Each is independent: they meet only through events in `outbox`.

`DOMAINS` is the one list of them: the composition root loads their schemas, tables and
handlers from it, the database has one schema per name, and a test holds setup.cfg's
independence contract to it.
"""

DOMAINS = ("auth", "tracker", "accounting", "analytics", "sender")
