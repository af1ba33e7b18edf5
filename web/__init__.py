"""The web app factory: thin blueprints over domain commands and queries."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from ates.bootstrap import Runtime, start
from ates.settings import ROOT, Settings
from domains.accounting import queries as accounting_queries
from domains.auth import queries as auth_queries
from web import formats, htmx, metrics, navigation, security, throttle, tracing
from web.access import check_every_route
from web.accounting import accounting_cli
from web.auth import auth_cli, init_login
from web.cli import analytics_cli, db_cli, events_cli, outbox_cli
from web.demo import demo_cli
from web.operations import add_status_panel

BLUEPRINTS = (
    "web.health",
    "web.metrics",
    "web.home",
    "web.language",
    "web.auth",
    "web.events",
    "web.operations",
    "web.sender",
    "web.tracker",
    "web.analytics",
    "web.accounting",
)


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, start_workers: bool = False
) -> Flask:
    """The app; `start_workers` runs the relay, Dramatiq workers and jobs in this process."""
    runtime = runtime or start(settings)
    settings = runtime.settings
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_DURATION=auth_queries.SESSION_LIFETIME,
        # A page left open all day must still post: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        # The largest form is a task of a few KB; a bigger body is refused (413) unread.
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["ates"] = runtime
    tracing.init_app(app)
    metrics.init_app(app)
    Htmx().init_app(app)
    CSRFProtect(app)
    security.init_app(app, production=settings.production)
    init_login(app)
    navigation.init_app(app)
    formats.init_app(app, settings.timezone)
    for module_name in BLUEPRINTS:
        module = __import__(module_name, fromlist=["bp"])
        app.register_blueprint(module.bp)
    throttle.init_app(app, settings)
    add_status_panel(app, "Last day close", accounting_queries.last_day_close)
    add_status_panel(app, "Scheduled close retrying", accounting_queries.scheduled_close_trouble)
    _register_error_pages(app)
    htmx.init_app(app)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(accounting_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(analytics_cli)
    app.cli.add_command(auth_cli)
    app.cli.add_command(demo_cli)
    check_every_route(app)
    if start_workers:
        app.extensions["ates_background"] = runtime.start_embedded_workers()
    return app


def _register_error_pages(app: Flask) -> None:
    for code in (400, 403, 404, 422, 429, 500):
        app.register_error_handler(
            code,
            lambda error, code=code: (render_template("error.html", code=code, error=error), code),
        )
