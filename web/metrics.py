"""`GET /metrics`: Prometheus metrics, for admins or a scraper holding `METRICS_TOKEN`.

Figures of the whole system are read from the database at scrape time (the outbox, consumer
lag, dead letters, day closes, e-mails), so any one web process answers for all; request latency
is this app's own. With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn), every web process writes
there and any one of them answers for all; ates/gunicorn_config.py empties it at each start and
drops a dead process from the live gauges. Worker processes serve theirs on a port of their own
(Dramatiq's Prometheus middleware, `WORKER_METRICS_PORT`).
"""

import hmac
import os
import time

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, g, request
from flask_login import current_user
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from domains.accounting.tables import day_closes
from domains.sender.tables import emails
from outbox import monitoring, operations
from outbox.tables import event_archive
from web.access import public

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "ates_http_request_duration_seconds",
    "Time to answer a request, by route.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# How many web processes the answer covers: each counts itself while it lives.
WEB_PROCESSES = Gauge(
    "ates_web_processes", "Web processes serving requests.", multiprocess_mode="livesum"
)


@bp.get("/metrics")
@public  # checked below: an admin's session or the scraper's bearer token
def metrics():
    """The Prometheus text format; 404 for anyone else, so the endpoint is not advertised."""
    if not _may_scrape():
        abort(404)
    body = generate_latest(current_app.extensions["ates_metrics"])
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return current_user.is_authenticated and current_user.role == "admin"


def init_app(app: Flask) -> None:
    app.config["METRICS_TOKEN"] = os.environ.get("METRICS_TOKEN") or None
    registry = CollectorRegistry()
    registry.register(SystemFigures(app.extensions["ates"].db))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    app.extensions["ates_metrics"] = registry
    WEB_PROCESSES.set(1)
    app.before_request(_start_clock)
    app.after_request(_observe)


def _start_clock() -> None:
    g.request_started = time.perf_counter()


def _observe(response):
    if (started := g.get("request_started")) is not None:
        endpoint = request.url_rule.endpoint if request.url_rule else "not_found"
        REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
    return response


class _ThisProcess:
    """This process's own metrics (one process: the embedded default or a single web worker)."""

    def collect(self):
        return REGISTRY.collect()


class SystemFigures:
    """What the database says at scrape time; each figure is one indexed query."""

    def __init__(self, db):
        self.db = db

    def collect(self):
        outbox = operations.status(self.db)
        yield _gauge("ates_outbox_pending_events", "Events not yet relayed.", outbox.pending)
        yield _gauge(
            "ates_outbox_oldest_pending_age_seconds",
            "Age of the oldest event not yet relayed (0 when none).",
            outbox.oldest_pending_age_seconds or 0,
        )
        with self.db.reading() as session:
            relayed = session.scalar(sa.select(sa.func.max(event_archive.c.id))) or 0
            lag = monitoring.consumer_lag(session)
            closes = session.scalar(sa.select(sa.func.count()).select_from(day_closes))
            mail = dict(
                session.execute(
                    sa.select(emails.c.status, sa.func.count()).group_by(emails.c.status)
                ).all()
            )
        yield _counter("ates_events_relayed", "Events relayed to the broker.", relayed)
        dead = GaugeMetricFamily(
            "ates_dead_letters_waiting", "Dead letters waiting for a replay.", labels=["consumer"]
        )
        for consumer, count in sorted(outbox.dead_letters.items()):
            dead.add_metric([consumer], count)
        yield dead
        unhandled = GaugeMetricFamily(
            "ates_consumer_lag_events",
            "Events relayed to the consumer that it has neither handled nor dead-lettered.",
            labels=["consumer"],
        )
        oldest = GaugeMetricFamily(
            "ates_consumer_lag_seconds",
            "Age of the oldest of those events (0 when none).",
            labels=["consumer"],
        )
        for consumer, (count, age) in sorted(lag.items()):
            unhandled.add_metric([consumer], count)
            oldest.add_metric([consumer], age)
        yield unhandled
        yield oldest
        yield _counter("ates_day_closes", "Billing days closed.", closes)
        # A failed e-mail is retried, so these are states (gauges), not counts of attempts.
        by_state = GaugeMetricFamily(
            "ates_emails", "Payout e-mails by their state: sent, failed, queued.", labels=["status"]
        )
        for status in ("sent", "failed", "queued"):
            by_state.add_metric([status], mail.get(status, 0))
        yield by_state


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)
