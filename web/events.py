"""`/events`: the event catalog for admins, and the same as an AsyncAPI 3.0 document."""

from flask import Blueprint, current_app, jsonify, render_template

from outbox.contracts import asyncapi
from outbox.contracts.catalog import catalog, entries
from web import navigation
from web.access import allow

bp = Blueprint("events", __name__)
navigation.add("Events", "events.catalog_page")


@bp.get("/events")
@allow("admin")
def catalog_page():
    """Every event, its versions and schemas, producer, consumers and today's figures."""
    runtime = current_app.extensions["ates"]
    with runtime.db.reading() as session:
        events = catalog(session, runtime.settings.timezone)
    return render_template("events/catalog.html", events=events, timezone=runtime.settings.timezone)


@bp.get("/events/asyncapi.json")
@allow("admin")
def asyncapi_document():
    """The catalog as an AsyncAPI 3.0 document (no live figures: it is a contract)."""
    return jsonify(asyncapi.document(entries()))
