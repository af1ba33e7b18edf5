"""Settings from the environment, shared by the web app, the relay and the workers."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _var_dir() -> Path:
    path = Path(os.environ.get("ATES_VAR_DIR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(production: bool) -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set in production (ATES_ENV=production).")
    # The embedded default keeps one generated key, so sessions survive restarts.
    key_file = _var_dir() / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


ENVIRONMENTS = ("development", "production")
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps")


@dataclass(frozen=True)
class Settings:
    database_url: str
    # redis://... or amqp://...; None: the embedded in-process broker.
    broker_url: str | None
    secret_key: str
    var_dir: Path
    # `production`: secure cookies, HSTS, no demo data, a SECRET_KEY required. Said explicitly
    # (ATES_ENV), not guessed from which broker is configured.
    environment: str = "development"
    timezone: str = "UTC"
    day_close_at: str = "23:59"
    mail_host: str | None = None
    mail_port: int = 25
    mail_tls: bool = False
    mail_user: str | None = None
    mail_password: str | None = None
    mail_sender: str = "aTES <accounting@uberpopug.example>"
    outbox_retention_days: int = 7
    broker_namespace: str = "ates"
    retry_min_backoff_ms: int = 500
    # A failing event is retried with backoff doubling up to this, and buried after that long.
    retry_max_backoff_ms: int = 3_600_000
    give_up_after_seconds: int = 86_400
    # An event relayed but neither handled nor buried by a subscriber this long after it was due
    # is sent again (the broker may have lost it); inboxes absorb the duplicates.
    redeliver_after_seconds: int = 300
    # /healthz says "degraded" past these: the oldest unhandled event's age, waiting dead letters.
    healthy_lag_seconds: int = 300
    healthy_dead_letters: int = 0
    # Proxies in front of the web process whose X-Forwarded-* headers are believed (0: none).
    trusted_proxies: int = 0
    # Failed logins one client address may make (Flask-Limiter's notation).
    login_limit: str = "10 per minute;60 per hour"

    def __post_init__(self):
        if self.environment not in ENVIRONMENTS:
            raise ValueError(f"ATES_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if self.broker_url and self.broker_url.split(":", 1)[0] not in BROKER_SCHEMES:
            raise ValueError("BROKER_URL must be redis://, rediss://, amqp:// or amqps://")

    @property
    def embedded(self) -> bool:
        """No broker: broker, workers and relay all live inside the app process."""
        return self.broker_url is None

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def redis_url(self) -> str | None:
        """The Redis of a Redis broker, where shared counters live too (login limits)."""
        return self.broker_url if self.broker_kind == "redis" else None

    @property
    def broker_kind(self) -> str:
        """`redis`, `rabbitmq` or `embedded`."""
        if self.broker_url is None:
            return "embedded"
        return "rabbitmq" if self.broker_url.startswith("amqp") else "redis"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


def load_settings(**overrides) -> Settings:
    env = os.environ
    var_dir = _var_dir()
    # REDIS_URL is the older name of BROKER_URL, still read.
    broker_url = overrides.pop("broker_url", env.get("BROKER_URL") or env.get("REDIS_URL") or None)
    environment = overrides.pop("environment", env.get("ATES_ENV") or "development")
    if environment == "production" and broker_url is None:
        # Several web, worker and relay processes cannot share an in-process broker.
        raise RuntimeError("production needs a broker: set BROKER_URL (redis:// or amqp://)")
    values = dict(
        database_url=env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'ates.sqlite3'}",
        broker_url=broker_url,
        environment=environment,
        secret_key=overrides.pop("secret_key", None)
        or _secret_key(production=environment == "production"),
        var_dir=var_dir,
        timezone=env.get("ATES_TIMEZONE", "UTC"),
        day_close_at=env.get("ATES_DAY_CLOSE_AT", "23:59"),
        mail_host=env.get("MAIL_HOST") or None,
        mail_port=int(env.get("MAIL_PORT", "25")),
        mail_tls=env.get("MAIL_TLS", "").lower() in ("1", "true", "yes"),
        mail_user=env.get("MAIL_USER") or None,
        mail_password=env.get("MAIL_PASSWORD") or None,
        mail_sender=env.get("MAIL_SENDER", "aTES <accounting@uberpopug.example>"),
        outbox_retention_days=int(env.get("OUTBOX_RETENTION_DAYS", "7")),
        broker_namespace=env.get("BROKER_NAMESPACE", "ates"),
        retry_min_backoff_ms=int(env.get("RETRY_MIN_BACKOFF_MS", "500")),
        retry_max_backoff_ms=int(env.get("RETRY_MAX_BACKOFF_MS", "3600000")),
        give_up_after_seconds=int(env.get("GIVE_UP_AFTER_SECONDS", "86400")),
        redeliver_after_seconds=int(env.get("REDELIVER_AFTER_SECONDS", "300")),
        healthy_lag_seconds=int(env.get("HEALTHY_LAG_SECONDS", "300")),
        healthy_dead_letters=int(env.get("HEALTHY_DEAD_LETTERS", "0")),
        trusted_proxies=int(env.get("ATES_TRUSTED_PROXIES", "0")),
        login_limit=env.get("ATES_LOGIN_LIMIT", Settings.login_limit),
    )
    values.update(overrides)
    return Settings(**values)


_current: Settings | None = None


def use(settings: Settings) -> Settings:
    """Make these the process's settings; `ates.bootstrap.start` calls it once per process."""
    global _current
    _current = settings
    return settings


def current_settings() -> Settings:
    """The settings this process's runtime started with, for handlers (e.g. the mail server)."""
    return _current or use(load_settings())
