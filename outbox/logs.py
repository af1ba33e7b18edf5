"""Logs: one JSON object per line in production, each with the request or job that caused the
work (`correlation_id`) and the event being handled (`event_id`); plain text otherwise.

Every process kind calls `configure_logging` once (the composition root does): the web app,
the relay, and Dramatiq's workers, whose own handlers are reformatted rather than doubled.
"""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from outbox import tracing

FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class CauseFilter(logging.Filter):
    """Stamps each record with the current correlation id and event id (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = tracing.current()
        record.event_id = tracing.current_event()
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        f"{FIELDS} %(process)d %(threadName)s %(correlation_id)s %(event_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )


def configure_logging(production: bool) -> None:
    """JSON lines on the root logger's handlers (stderr if it has none) in production."""
    if not production:
        return
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        if not any(isinstance(f, CauseFilter) for f in handler.filters):
            handler.addFilter(CauseFilter())
        handler.setFormatter(json_formatter())
