"""`GET /healthz`: for load balancers and on-call."""

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from outbox.broker import ping
from outbox.operations import status
from web.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Database and broker reachable, plus the outbox figures; 503 when either is down.

    Anyone gets the status word; only a logged-in admin gets the figures behind it."""
    runtime = current_app.extensions["ates"]
    body = {"database": "ok", "broker": "ok"}
    try:
        with runtime.db.transaction() as session:
            session.execute(sa.text("SELECT 1"))
        body["outbox"] = status(runtime.db).as_dict()
    except Exception as error:
        body["database"] = f"down: {type(error).__name__}"
    try:
        ping(runtime.broker)
    except Exception as error:
        body["broker"] = f"down: {type(error).__name__}"
    healthy = body["database"] == "ok" and body["broker"] == "ok"
    word = "ok" if healthy else "down"
    shown = body | {"status": word} if _is_admin() else {"status": word}
    return jsonify(shown), 200 if healthy else 503


def _is_admin() -> bool:
    return current_user.is_authenticated and current_user.role == "admin"
