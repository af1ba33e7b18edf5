"""The accounting domain."""

PRODUCER = "accounting"
