"""Failed logins per client address (Flask-Limiter), and the client address behind a proxy.

The limit counts failures only, so an office behind one address logs in all at once freely,
while a guesser from one address gets `login_limit` tries, whatever logins they try. Kept in
Redis in production (shared by every web process, under the namespace's own key prefix), in
memory in the embedded default (one process). Per account, the auth domain adds its own
progressive delay.
"""

from flask import Flask, render_template
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from ates.settings import Settings

TOO_MANY = "Too many failed logins from your address. Wait a little, then try again."


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Trust the configured proxies, then limit failed logins; call after the blueprints."""
    if hops := settings.trusted_proxies:
        # Only as many X-Forwarded-* entries as there are proxies of ours: the rest is
        # whatever the client wrote, and would let it pick its own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        storage_options={"key_prefix": f"{settings.broker_namespace}:login-limits"},
        # Redis gone for a while: each process limits on its own rather than not at all.
        in_memory_fallback_enabled=True,
    )
    login = app.view_functions["auth.login"]
    app.view_functions["auth.login"] = limiter.limit(
        settings.login_limit,
        methods=["POST"],
        deduct_when=lambda response: response.status_code in (401, 429),
        error_message=TOO_MANY,
    )(login)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.extensions["ates_login_limiter"] = limiter
    return limiter


def _too_many(error: RateLimitExceeded):
    page = render_template("error.html", code=429, error=error)
    return page, 429, {"Retry-After": str(error.limit.limit.get_expiry())}
