"""`GET /healthz`: for load balancers (the status word) and on-call (the figures, admins only).

"down" (503) when the database or the broker cannot be reached; "degraded" (200) when a
consumer lags or dead letters wait past the configured thresholds; otherwise "ok".
"""

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from outbox.broker import ping
from outbox.operations import status
from web.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """The status word for anyone; the figures behind it for admins."""
    runtime = current_app.extensions["ates"]
    settings = runtime.settings
    body = {"database": "ok", "broker": "ok"}
    try:
        runtime.db.ping()
        outbox = status(runtime.db)
        body["outbox"] = outbox.as_dict()
        body["troubles"] = outbox.troubles(
            settings.healthy_lag_seconds, settings.healthy_dead_letters
        )
    except Exception as error:
        body["database"] = f"down: {type(error).__name__}"
    try:
        ping(runtime.broker)
    except Exception as error:
        body["broker"] = f"down: {type(error).__name__}"
    if body["database"] != "ok" or body["broker"] != "ok":
        word, code = "down", 503
    else:
        word, code = ("degraded" if body["troubles"] else "ok"), 200
    shown = body | {"status": word} if _is_admin() else {"status": word}
    return jsonify(shown), code


def _is_admin() -> bool:
    return current_user.is_authenticated and current_user.role == "admin"
