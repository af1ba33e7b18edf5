"""The bounded contexts. Each is independent: they meet only through events in `outbox`."""

DOMAINS = ("auth", "tracker", "accounting", "analytics", "sender")
