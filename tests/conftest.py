"""Fixtures on real services. The backend comes from the environment, as in production:

- nothing set: the embedded default (SQLite file, in-process Dramatiq broker);
- DATABASE_URL=postgresql+psycopg://... and REDIS_URL=redis://...: PostgreSQL and Redis;
- BROKER_URL=amqp://...: RabbitMQ instead (a vhost of the session's own, deleted after).

Each test session gets its own fresh database and its own Redis namespace, so several
sessions can run side by side on one machine.

Accounts and login (CSRF stays ON in every test, as in production):
- `make_account(role="worker", **fields)`: an account made through the auth commands, its
  events delivered; returns an object with public_id, login, full_name, email, role, password.
- `login_as(role="worker", **fields)`: the same, then logs the `client` in through the real
  login form; returns the account.
- `csrf_token(client=client)`: a valid token for that client's session. Post forms with
  `client.post(url, data={..., "csrf_token": csrf_token()})`; htmx-style requests send it as a
  header: `headers={"X-CSRFToken": csrf_token(), "HX-Request": "true"}`.
"""

import dataclasses
import functools
import itertools
import os
import re
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import dramatiq
import pytest
import redis
import sqlalchemy as sa
from argon2 import PasswordHasher
from babel.dates import format_date
from babel.numbers import format_currency

# Registers the probe consumers and a stand-in account consumer before any actor is declared.
import tests.probe.accounts  # noqa: F401
from ates import settings as process_settings
from ates.bootstrap import Runtime, start
from ates.database import is_sqlite, metadata
from ates.settings import load_settings
from domains.auth import commands as auth_commands
from migrations import upgrade
from outbox import embedded
from outbox.broker import declare_actors, setup_broker
from tests import events
from tests.probe import probe_metadata
from tests.processes import private_broker_for, rabbitmq_vhost

pytest_plugins = ["tests.mail"]  # `mailbox`: a real SMTP server (aiosmtpd)

SESSION_TAG = uuid.uuid4().hex[:8]

# Argon2 with its production cost makes every test account take a noticeable moment.
auth_commands.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _fresh_database_url(tmp_path_factory, suffix: str = "") -> str:
    base = os.environ.get("DATABASE_URL")
    if not base or is_sqlite(base):
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'ates.sqlite3'}"
    url = sa.make_url(base)
    name = f"ates_test_{SESSION_TAG}{suffix}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(database_url: str) -> None:
    if is_sqlite(database_url):
        return
    url = sa.make_url(database_url)
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    server.dispose()


@pytest.fixture
def empty_database_url(tmp_path_factory):
    """A database of its own, not migrated: for tests of the migrations themselves."""
    url = _fresh_database_url(tmp_path_factory, suffix="_empty")
    yield url
    _drop_database(url)


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    database_url = _fresh_database_url(tmp_path_factory)
    with ExitStack() as stack:
        overrides = {}
        broker_url = os.environ.get("BROKER_URL") or ""
        if broker_url.startswith("amqp"):
            vhost = rabbitmq_vhost(broker_url, f"ates-test-{SESSION_TAG}")
            overrides["broker_url"] = stack.enter_context(vhost)
        yield load_settings(
            database_url=database_url,
            secret_key="test-secret",
            var_dir=tmp_path_factory.mktemp("var"),
            broker_namespace=f"ates-test-{SESSION_TAG}",
            retry_min_backoff_ms=10,
            retry_max_backoff_ms=100,
            give_up_after_seconds=1,
            **overrides,
        )
    _drop_database(database_url)


@pytest.fixture(scope="session")
def session_runtime(settings) -> Runtime:
    upgrade(settings.database_url)
    runtime = start(settings)
    probe_metadata.create_all(runtime.db.engine)
    yield runtime
    if settings.broker_kind == "redis":
        client = redis.Redis.from_url(settings.broker_url)
        for key in client.scan_iter(f"{settings.broker_namespace}*"):
            client.delete(key)
    runtime.db.dispose()


def _empty_all_tables(runtime: Runtime) -> None:
    tables = [*reversed(metadata.sorted_tables), *probe_metadata.sorted_tables]
    with runtime.db.transaction() as session:
        if runtime.db.is_sqlite:
            for table in tables:
                session.execute(table.delete())
        else:
            names = ", ".join(
                f'"{t.schema}"."{t.name}"' if t.schema else f'"{t.name}"' for t in tables
            )
            session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def runtime(session_runtime) -> Runtime:
    """The runtime, with every table emptied and every queue flushed before the test."""
    session_runtime.broker.flush_all()
    _empty_all_tables(session_runtime)
    return session_runtime


@pytest.fixture
def use_settings(settings):
    """Change the process settings for one test: `use_settings(mail_host="127.0.0.1")`."""

    def change(**changes):
        return process_settings.use(dataclasses.replace(settings, **changes))

    yield change
    process_settings.use(settings)


@pytest.fixture(scope="session")
def session_worker(session_runtime):
    worker = dramatiq.Worker(session_runtime.broker, worker_threads=4, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def deliver(runtime, session_worker):
    """Relay every pending event and wait until every consumer has handled what followed."""

    def settle(timeout: float = 60) -> None:
        embedded.settle(runtime.db, runtime.relay(), runtime.broker, session_worker, timeout)

    return settle


@pytest.fixture
def apply(runtime):
    """`apply("accounting", message(...), ...)`: one delivery applied to one consumer in this
    thread, as its actor would, without a worker (tests/events.py)."""
    return functools.partial(events.apply, runtime.db)


@pytest.fixture(scope="session")
def app(session_runtime):
    from web import create_app

    app = create_app(runtime=session_runtime)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app, runtime):
    app.extensions["ates_login_limiter"].reset()  # each test starts with no failed logins
    return app.test_client()


@dataclass(frozen=True)
class TestAccount:
    public_id: str
    login: str
    full_name: str
    email: str
    role: str
    password: str


_account_numbers = itertools.count(1)


def create_test_account(runtime: Runtime, role: str = "worker", **fields) -> TestAccount:
    """An account through the auth commands (no delivery: see the `make_account` fixture)."""
    number = next(_account_numbers)
    login = fields.pop("login", f"{role}{number}")
    values = {
        "login": login,
        "full_name": f"{role.title()} Popug {number}",
        "email": f"{login}@uberpopug.example",
        "password": f"{login}-password",
    } | fields
    with runtime.db.transaction() as session:
        account = auth_commands.create_account(session, role=role, **values)
    return TestAccount(
        account.public_id, account.login, account.full_name, account.email, role, values["password"]
    )


@pytest.fixture
def make_account(runtime, deliver):
    def make(role: str = "worker", **fields) -> TestAccount:
        account = create_test_account(runtime, role, **fields)
        deliver()
        return account

    return make


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def fetch_csrf_token(client) -> str:
    """The token the layout hands this client's session (from any page it can open)."""
    page = client.get("/login", follow_redirects=True)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {page.request.path} ({page.status_code})"
    return match.group(1)


@pytest.fixture
def csrf_token(client):
    def token(for_client=None) -> str:
        return fetch_csrf_token(for_client or client)

    return token


def log_in(client, login: str, password: str, remember: bool = False):
    data = {"login": login, "password": password, "csrf_token": fetch_csrf_token(client)}
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data)


@pytest.fixture
def login_as(client, make_account):
    def login(role: str = "worker", **fields) -> TestAccount:
        account = make_account(role, **fields)
        response = log_in(client, account.login, account.password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return account

    return login


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL") or "sqlite (embedded default)"
    broker = (os.environ.get("BROKER_URL") or os.environ.get("REDIS_URL") or "").split(":")[0]
    return [f"aTES backend: database={url.split(':')[0]}, broker={broker or 'in-process'}"]


@pytest.fixture
def private_broker(settings, tmp_path):
    """A broker server of the test's own, of the session's kind (Redis for the embedded
    default, whose broker lives in memory), free to stop and start."""
    server = private_broker_for(settings, tmp_path)
    try:
        server.start()
        yield server
    finally:
        getattr(server, "remove", server.stop)()


@pytest.fixture
def private_runtime(runtime, private_broker) -> Runtime:
    """The session's database with a broker and actors on the private broker server."""
    settings = dataclasses.replace(runtime.settings, broker_url=private_broker.url)
    broker = setup_broker(settings)
    yield Runtime(settings, runtime.db, broker, declare_actors(broker, runtime.db))
    dramatiq.set_broker(runtime.broker)


def shown_day(day: date) -> str:
    """A billing day as the pages write it in English: 2026-11-29 -> Sun, 29 Nov 2026."""
    return format_date(day, "EEE, d MMM y", locale="en")


def usd(cents: int) -> str:
    """Money as the pages write it in English: 150050 -> $1,500.50, -1300 -> -$13.00."""
    return format_currency(Decimal(cents).scaleb(-2), "USD", locale="en")
