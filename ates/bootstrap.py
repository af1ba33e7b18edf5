"""The composition root: one process's database, broker, event schemas, handlers and actors.

Web (`web.create_app`), workers (`dramatiq ates.worker`) and the relay (`flask outbox relay`)
all start here, so the broker is configured before any actor is declared.
"""

import importlib
from dataclasses import dataclass
from datetime import timedelta

import dramatiq
from apscheduler.schedulers.background import BackgroundScheduler

from ates import settings as process_settings
from ates.database import Database
from ates.settings import ROOT, Settings, load_settings
from domains import DOMAINS
from domains.accounting.schedule import start_scheduler
from outbox.broker import declare_actors, setup_broker, waiting
from outbox.embedded import EmbeddedWorkers
from outbox.events import SchemaRegistry, registry
from outbox.logs import configure_logging
from outbox.relay import GATHER_SECONDS, Relay

DOMAINS_DIR = ROOT / "domains"
EVENTS_LOCK = DOMAINS_DIR / "events.lock.json"
# Every domain's schema, and the outbox's own.
SCHEMAS = (*DOMAINS, "outbox")


def open_database(url: str, **engine_kwargs) -> Database:
    return Database(url, SCHEMAS, **engine_kwargs)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    broker: dramatiq.Broker
    actors: dict[str, dramatiq.Actor]

    def send(self, consumer_name: str, messages: list[dict]) -> None:
        self.actors[consumer_name].send(messages)

    def relay(self) -> Relay:
        return Relay(
            self.db,
            self.send,
            redeliver_after=timedelta(seconds=self.settings.redeliver_after_seconds),
            waiting=lambda consumer_name: waiting(self.broker, consumer_name),
            # In process, a batch costs a queue append: gathering would only add latency.
            gather=0 if self.settings.broker_kind == "embedded" else GATHER_SECONDS,
        )

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.settings.outbox_retention_days)

    def start_jobs(self) -> BackgroundScheduler:
        """The scheduled jobs (the daily close) in this process: every worker process runs them,
        the embedded app too; the close pays each account once a day however many run it."""
        return start_scheduler(self.db, self.settings)

    def start_embedded_workers(self) -> "EmbeddedBackground":
        """The embedded default: Dramatiq workers, the relay and the jobs in the app process."""
        workers = EmbeddedWorkers(self.broker, self.relay(), self.retention)
        workers.start()
        return EmbeddedBackground(workers, self.start_jobs())


@dataclass
class EmbeddedBackground:
    workers: EmbeddedWorkers
    jobs: BackgroundScheduler

    def stop(self) -> None:
        self.jobs.shutdown(wait=False)
        self.workers.stop()


def load_schemas(into: SchemaRegistry) -> SchemaRegistry:
    """Every domain's published event schemas (`domains/<name>/events/`)."""
    for name in DOMAINS:
        events_dir = DOMAINS_DIR / name / "events"
        if events_dir.is_dir():
            into.load_dir(events_dir, producer=name)
    return into


def load_domains() -> None:
    """Register every domain's event schemas and import its tables and handlers (idempotent)."""
    load_schemas(registry)
    for name in DOMAINS:
        for module in ("tables", "handlers"):
            if (DOMAINS_DIR / name / f"{module}.py").exists() or (
                DOMAINS_DIR / name / module
            ).is_dir():
                importlib.import_module(f"domains.{name}.{module}")


def start(settings: Settings | None = None) -> Runtime:
    settings = process_settings.use(settings or load_settings())
    configure_logging(settings.production)
    load_domains()
    db = open_database(settings.database_url)
    broker = setup_broker(settings)
    return Runtime(settings, db, broker, declare_actors(broker, db))
