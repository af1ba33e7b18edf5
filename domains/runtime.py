"""The composition root: one process's database, broker, event schemas, handlers and actors.

Web (`web.create_app`), workers (`dramatiq domains.worker`) and the relay (`flask outbox relay`)
all start here, so the broker is configured before any actor is declared.
"""

import importlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dramatiq

from domains import DOMAINS
from outbox import config
from outbox.broker import declare_actors, setup_broker, waiting
from outbox.config import Settings, load_settings
from outbox.db import Database, configure_database
from outbox.embedded import EmbeddedWorkers
from outbox.events import SchemaRegistry, registry
from outbox.relay import Relay

DOMAINS_DIR = Path(__file__).resolve().parent


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
        )

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.settings.outbox_retention_days)

    def embedded_workers(self) -> EmbeddedWorkers:
        return EmbeddedWorkers(self.broker, self.relay(), self.retention)


_runtime: Runtime | None = None


EVENTS_LOCK = DOMAINS_DIR / "events.lock.json"


def load_schemas(into: SchemaRegistry) -> SchemaRegistry:
    """Every domain's published event schemas (`domains/<name>/events/`)."""
    for name in DOMAINS:
        events_dir = DOMAINS_DIR / name / "events"
        if events_dir.is_dir():
            into.load_dir(events_dir, producer=name)
    return into


def load_domains() -> None:
    """Register every domain's event schemas and import its handlers (idempotent)."""
    load_schemas(registry)
    for name in DOMAINS:
        for module in ("tables", "handlers"):
            if (DOMAINS_DIR / name / f"{module}.py").exists() or (
                DOMAINS_DIR / name / module
            ).is_dir():
                importlib.import_module(f"domains.{name}.{module}")


def start(settings: Settings | None = None) -> Runtime:
    global _runtime
    settings = config.use(settings or load_settings())
    load_domains()
    db = configure_database(settings.database_url)
    broker = setup_broker(settings)
    _runtime = Runtime(settings, db, broker, declare_actors(broker, db))
    return _runtime


def runtime() -> Runtime:
    return _runtime or start()
