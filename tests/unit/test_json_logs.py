"""Production logs are JSON lines that name the request and the event behind each line."""

import io
import json
import logging

from outbox.logs import CauseFilter, json_formatter
from outbox.tracing import caused_by


def captured_logger():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CauseFilter())
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("tests.json_logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_logged_while_handling_an_event_names_the_request_and_the_event():
    logger, stream = captured_logger()
    with caused_by("req-3f2a9c0d1e4b5a6978c0d1e2", "0b7d3c1e-5a4f-4e8b-9c2d-1f0e6a7b8c9d"):
        logger.info("charged %d cents", 1500)
    [line] = lines(stream)
    assert line["message"] == "charged 1500 cents" and line["level"] == "INFO"
    assert line["correlation_id"] == "req-3f2a9c0d1e4b5a6978c0d1e2"
    assert line["event_id"] == "0b7d3c1e-5a4f-4e8b-9c2d-1f0e6a7b8c9d"
    assert line["logger"] == "tests.json_logs" and "time" in line


def test_a_line_outside_any_cause_still_parses_with_empty_ids():
    logger, stream = captured_logger()
    logger.warning("relay idle")
    [line] = lines(stream)
    assert line["correlation_id"] is None and line["event_id"] is None
    assert line["level"] == "WARNING"
