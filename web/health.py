"""`GET /healthz`: for load balancers and on-call."""

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from outbox.operations import status
from web.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Database and broker reachable, plus the outbox figures; 503 when either is down."""
    runtime = current_app.extensions["ates"]
    body = {"database": "ok", "broker": "ok"}
    try:
        with runtime.db.reading() as session:
            session.execute(sa.text("SELECT 1"))
        body["outbox"] = status(runtime.db).as_dict()
    except Exception as error:
        body["database"] = f"down: {type(error).__name__}"
    if runtime.settings.redis_url:
        try:
            runtime.broker.client.ping()
        except Exception as error:
            body["broker"] = f"down: {type(error).__name__}"
    healthy = body["database"] == "ok" and body["broker"] == "ok"
    return jsonify(body | {"status": "ok" if healthy else "down"}), 200 if healthy else 503
