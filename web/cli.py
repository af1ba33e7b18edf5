"""`flask outbox ...`: the relay and the on-call commands."""

import json
import signal
import threading
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from ates.settings import ROOT
from outbox import operations

outbox_cli = AppGroup("outbox", help="The transactional outbox: relay, status, replay, resend.")


def _runtime():
    return current_app.extensions["ates"]


@outbox_cli.command("relay")
def relay_command():
    """Relay pending events to the broker until stopped (run as many as you like)."""
    runtime = _runtime()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("relaying; Ctrl-C stops")
    runtime.relay().run(stop, runtime.retention)


@outbox_cli.command("status")
def status_command():
    """Pending events, each consumer's lag, dead letters per consumer, and what is wrong."""
    runtime = _runtime()
    settings = runtime.settings
    figures = operations.status(runtime.db)
    troubles = figures.troubles(settings.healthy_lag_seconds, settings.healthy_dead_letters)
    click.echo(json.dumps(figures.as_dict() | {"troubles": troubles}, indent=2))


@outbox_cli.command("replay")
@click.option("--id", "dead_letter_id", type=int, help="One dead letter.")
@click.option("--consumer", help="Every dead letter of one consumer.")
def replay_command(dead_letter_id, consumer):
    """Send dead letters to their consumer again, once the cause is fixed."""
    if dead_letter_id is None and consumer is None:
        raise click.UsageError("give --id or --consumer")
    runtime = _runtime()
    count = operations.replay(
        runtime.db, runtime.send, dead_letter_id=dead_letter_id, consumer=consumer
    )
    if dead_letter_id is not None and count == 0:
        raise click.ClickException(f"no dead letter {dead_letter_id} waiting for replay")
    click.echo(f"replayed {count} dead letter(s)")


@outbox_cli.command("resend")
@click.option("--since", required=True, help="ISO time, e.g. 2026-11-25T08:00+00:00.")
def resend_command(since):
    """Send again everything relayed since a time (consumers ignore what they already have)."""
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise click.BadParameter("not an ISO date-time", param_hint="--since") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. +00:00", param_hint="--since")
    click.echo(f"re-sent {_runtime().relay().resend(moment)} event message(s)")


db_cli = AppGroup("db", help="The database: migrations for every domain's schema.")


@db_cli.command("upgrade")
def upgrade_command():
    """Create or upgrade every schema to the newest migration."""
    from migrations import upgrade

    upgrade(_runtime().settings.database_url)
    click.echo("database is up to date")


events_cli = AppGroup("events", help="Event contracts: the schema lock.")


@events_cli.command("lock")
def lock_command():
    """Record the current schemas as published, refusing incompatible edits of a version."""
    from ates.bootstrap import EVENTS_LOCK, load_schemas
    from outbox.contracts.compatibility import differences_from_lock, write_lock
    from outbox.events import SchemaRegistry

    schemas = load_schemas(SchemaRegistry())
    problems = differences_from_lock(schemas, EVENTS_LOCK)
    if problems:
        raise click.ClickException(
            "incompatible changes need a new version:\n" + "\n".join(problems)
        )
    write_lock(schemas, EVENTS_LOCK)
    click.echo(f"locked {len(schemas.schemas())} schemas in {EVENTS_LOCK.relative_to(ROOT)}")


analytics_cli = AppGroup("analytics", help="The admins' figures.")


@analytics_cli.command("rebuild")
def rebuild_analytics_command():
    """Rebuild analytics from scratch out of the event archive."""
    from domains.analytics.commands import forget_everything
    from outbox.history import archived_count, rebuild

    db = _runtime().db
    with click.progressbar(length=archived_count(db, "analytics"), label="Rebuilding") as bar:
        handled = rebuild(db, "analytics", forget_everything, progress=bar.update)
    click.echo(f"analytics rebuilt from {handled} archived events")
