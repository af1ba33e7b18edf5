"""Failed logins per client address (Flask-Limiter), and the client address behind a proxy.

The limit counts failures only, so an office behind one address logs in all at once freely,
while a guesser from one address gets `login_limit` tries, whatever logins they try. Counted
where every web process shares them: in Redis when the broker is one (under the namespace's own
key prefix), else in the auth domain's table (RabbitMQ, the embedded default). Per account, the
auth domain adds its own progressive delay.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, render_template
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from werkzeug.middleware.proxy_fix import ProxyFix

from ates.database import Database, utcnow
from ates.settings import Settings
from domains.auth import commands, queries

TOO_MANY = "Too many failed logins from your address. Wait a little, then try again."


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Trust the configured proxies, then limit failed logins; call after the blueprints."""
    if hops := settings.trusted_proxies:
        # Only as many X-Forwarded-* entries as there are proxies of ours: the rest is
        # whatever the client wrote, and would let it pick its own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    uri, options = _shared_counts(app, settings)
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=uri,
        storage_options=options,
        # The shared counts out of reach for a while: each process limits on its own rather
        # than not at all.
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


def _shared_counts(app: Flask, settings: Settings) -> tuple[str, dict]:
    """Where every web process counts: Redis when the broker is one, else the database."""
    if settings.redis_url:
        return settings.redis_url, {"key_prefix": f"{settings.broker_namespace}:login-limits"}
    return DatabaseCounts.URI, {"db": app.extensions["ates"].db}


def _too_many(error: RateLimitExceeded):
    page = render_template("error.html", code=429, error=error)
    return page, 429, {"Retry-After": str(error.limit.limit.get_expiry())}


class DatabaseCounts(Storage):
    """The limit's counts in the auth domain's table (`limits` has no SQL storage of its own);
    Flask-Limiter's fixed window is all it serves."""

    STORAGE_SCHEME = ["ates-database"]
    URI = "ates-database://"

    def __init__(self, uri: str, db: Database, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.db = db

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.db.transaction() as session:
            count = commands.count_address_failures(session, key, amount, timedelta(seconds=expiry))
        # Apart from the count: a transaction holding one count's row while it deletes others'
        # could deadlock with another process doing the same.
        with self.db.transaction() as session:
            commands.forget_ended_address_failures(session)
        return count

    def get(self, key: str) -> int:
        with self.db.reading() as session:
            return queries.address_failures_in_window(session, key)[0]

    def get_expiry(self, key: str) -> float:
        with self.db.reading() as session:
            window_ends_at = queries.address_failures_in_window(session, key)[1]
        return (window_ends_at or utcnow()).timestamp()

    def check(self) -> bool:
        try:
            with self.db.reading() as session:
                session.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> None:
        with self.db.transaction() as session:
            commands.forget_address_failures(session)

    def clear(self, key: str) -> None:
        with self.db.transaction() as session:
            commands.forget_address_failures(session, key)
