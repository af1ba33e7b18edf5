"""The auth domain's tables: accounts, failed logins per login name (for the delay) and per
client address (for the login limit), and the login sessions that a cookie may stand for."""

import sqlalchemy as sa

from ates.database import UTCDateTime, metadata

ROLES = ("admin", "manager", "accountant", "worker")
LANGUAGES = ("en", "ru")

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("public_id", sa.Uuid(as_uuid=False), nullable=False, unique=True),
    sa.Column("login", sa.String(64), nullable=False, unique=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    # Grows by one with every change; travels in every account event so consumers keep the newest.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # The interface language the parrot chose ("en", "ru"); None: the browser's.
    sa.Column("language", sa.String(8), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'manager', 'accountant', 'worker')", name="role"),
    schema="auth",
)

# Kept in the database, not in a process, so a delay holds across every gunicorn worker.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("login", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failed_at", UTCDateTime, nullable=False),
    # No attempt for this login name is checked before then (the progressive delay).
    sa.Column("next_try_at", UTCDateTime, nullable=True),
    schema="auth",
)

# Failed logins from one client address within one window of the login limit, under the key the
# web's limiter names (address and limit). Kept in the database when there is no Redis, so every
# web process counts into the same rows.
address_failures = sa.Table(
    "address_failures",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_ends_at", UTCDateTime, nullable=False, index=True),
    schema="auth",
)

# One row per logged-in browser: its session and remember-me cookies name the token whose hash
# is kept here, so deleting the row ends that login wherever the cookies went.
login_sessions = sa.Table(
    "login_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Uuid(as_uuid=False), nullable=False, index=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("user_agent", sa.String(200), nullable=False),
    schema="auth",
)
