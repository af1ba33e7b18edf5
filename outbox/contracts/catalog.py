"""The event catalog: every event, its versions, producer and consumers, and live figures.

Assembled at run time from the schema registry and the consumer registrations that the
composition root filled, so a new domain's events and handlers appear without edits here.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbox.consumers import CONSUMERS, Consumer
from outbox.events import EventSchema, SchemaRegistry, registry
from outbox.tables import dead_letters, event_archive, events


@dataclass(frozen=True)
class Figures:
    published_today: int = 0
    pending: int = 0
    dead_lettered: int = 0


@dataclass(frozen=True)
class Version:
    version: int
    schema: dict
    deprecated: bool
    consumers: list[str]  # the consumers that accept this version

    @property
    def example(self) -> dict | None:
        return next(iter(self.schema.get("examples", [])), None)

    @property
    def schema_json(self) -> str:
        return json.dumps(self.schema, indent=2, ensure_ascii=False)

    @property
    def example_json(self) -> str | None:
        example = self.example
        return None if example is None else json.dumps(example, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    producer: str | None  # None: an event consumers expect that the registry does not know
    versions: list[Version]
    consumers: dict[str, list[int]]  # consumer -> the versions it declares
    figures: Figures = field(default_factory=Figures)

    @property
    def registered(self) -> bool:
        return bool(self.versions)

    def unknown_versions(self, consumer: str) -> list[int]:
        """Versions a consumer declares that the registry does not have."""
        known = {v.version for v in self.versions}
        return [v for v in self.consumers[consumer] if v not in known]


def _schemas_by_name(schemas: list[EventSchema]) -> dict[str, list[EventSchema]]:
    by_name: dict[str, list[EventSchema]] = {}
    for schema in schemas:
        by_name.setdefault(schema.name, []).append(schema)
    return by_name


def _consumers_of(name: str, consumers: dict[str, Consumer]) -> dict[str, list[int]]:
    return {
        consumer_name: sorted(consumer.handlers[name][0])
        for consumer_name, consumer in sorted(consumers.items())
        if name in consumer.handlers
    }


def entries(
    schemas: SchemaRegistry = registry,
    consumers: dict[str, Consumer] = CONSUMERS,
    figures: dict[str, Figures] | None = None,
) -> list[CatalogEntry]:
    """One entry per event name known to the registry, a consumer, or the live figures."""
    figures = figures or {}
    by_name = _schemas_by_name(schemas.schemas())
    handled = {name for consumer in consumers.values() for name in consumer.handlers}
    catalog = []
    for name in sorted(by_name.keys() | handled | figures.keys()):
        declared = _consumers_of(name, consumers)
        versions = [
            Version(
                version=s.version,
                schema=s.schema,
                deprecated=bool(s.schema.get("deprecated")),
                consumers=[c for c, accepted in declared.items() if s.version in accepted],
            )
            for s in by_name.get(name, [])
        ]
        producer = by_name[name][0].producer if name in by_name else None
        catalog.append(
            CatalogEntry(name, producer, versions, declared, figures.get(name, Figures()))
        )
    return catalog


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """A calendar day in the company's time zone, as an aware UTC range [start, end)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def live_figures(session: Session, today: date, timezone: str) -> dict[str, Figures]:
    """Per event name: published on `today` (company time), pending, dead-lettered.

    Three grouped counts, each on an index: the archive and the pending outbox rows by event
    time (one statement, so an event being relayed right now is counted once), the pending
    rows, and the dead letters not yet replayed.
    """
    start, end = day_bounds(today, timezone)
    archived = sa.select(event_archive.c.event_name).where(
        event_archive.c.event_time >= start, event_archive.c.event_time < end
    )
    waiting = sa.select(events.c.event_name).where(
        events.c.relayed_at.is_(None), events.c.event_time >= start, events.c.event_time < end
    )
    published = sa.union_all(archived, waiting).subquery()
    today_counts = dict(
        session.execute(
            sa.select(published.c.event_name, sa.func.count()).group_by(published.c.event_name)
        ).all()
    )
    pending = dict(
        session.execute(
            sa.select(events.c.event_name, sa.func.count())
            .where(events.c.relayed_at.is_(None))
            .group_by(events.c.event_name)
        ).all()
    )
    dead = dict(
        session.execute(
            sa.select(dead_letters.c.event_name, sa.func.count())
            .where(dead_letters.c.replayed_at.is_(None))
            .group_by(dead_letters.c.event_name)
        ).all()
    )
    dead.pop(None, None)  # a message too broken to name its event still counts per consumer
    return {
        name: Figures(today_counts.get(name, 0), pending.get(name, 0), dead.get(name, 0))
        for name in today_counts.keys() | pending.keys() | dead.keys()
    }


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def catalog(session: Session, timezone: str) -> list[CatalogEntry]:
    """The whole catalog with today's figures, for the admin's page."""
    return entries(figures=live_figures(session, local_today(timezone), timezone))
