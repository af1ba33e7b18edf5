"""Reads for pages and the login: accounts without their password hashes."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.database import utcnow
from domains.auth.tables import accounts, address_failures, login_sessions

# How long a login session (and its remember-me cookie) lasts without logging in again.
SESSION_LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class Account:
    public_id: str
    login: str
    full_name: str
    email: str
    role: str
    active: bool
    version: int
    language: str | None = None  # the language chosen; None: the browser's

    def as_event_data(self, language: bool = False) -> dict:
        """The whole account as every account event carries it; the language only in
        account.language_chosen (the sender writes the payout e-mail in it)."""
        data = {
            "public_id": self.public_id,
            "login": self.login,
            "full_name": self.full_name,
            "email": self.email,
            "role": self.role,
            "active": self.active,
            "version": self.version,
        }
        return data | {"language": self.language} if language else data


COLUMNS = (
    accounts.c.public_id,
    accounts.c.login,
    accounts.c.full_name,
    accounts.c.email,
    accounts.c.role,
    accounts.c.active,
    accounts.c.version,
    accounts.c.language,
)


def _account(row) -> Account:
    return Account(**row._mapping)


def account(session: Session, public_id: str) -> Account | None:
    """One account by its public id, or None."""
    try:
        public_id = str(uuid.UUID(str(public_id)))
    except ValueError:
        return None
    row = session.execute(sa.select(*COLUMNS).where(accounts.c.public_id == public_id)).first()
    return _account(row) if row else None


def account_by_login(session: Session, login: str) -> Account | None:
    row = session.execute(
        sa.select(*COLUMNS).where(accounts.c.login == login.strip().lower())
    ).first()
    return _account(row) if row else None


def accounts_list(session: Session, search: str = "", limit: int = 200) -> list[Account]:
    """Accounts by login; `search` matches login, full name or e-mail, case-insensitively."""
    query = sa.select(*COLUMNS).order_by(accounts.c.login).limit(limit)
    if search := search.strip():
        # autoescape: a % or _ typed in the search box is that character, not a wildcard.
        query = query.where(
            sa.or_(
                *(
                    column.icontains(search, autoescape=True)
                    for column in (accounts.c.login, accounts.c.full_name, accounts.c.email)
                )
            )
        )
    return [_account(row) for row in session.execute(query)]


def count_accounts(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(accounts))


def token_hash(token: str) -> str:
    """What the table keeps of a session token: a leaked table logs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def account_of_session(session: Session, token: str) -> Account | None:
    """The active account this login session stands for, or None (ended, expired, deactivated)."""
    row = session.execute(
        sa.select(*COLUMNS)
        .join(login_sessions, login_sessions.c.account_id == accounts.c.public_id)
        .where(
            login_sessions.c.token_hash == token_hash(token),
            login_sessions.c.started_at > utcnow() - SESSION_LIFETIME,
            accounts.c.active.is_(True),
        )
    ).first()
    return _account(row) if row else None


@dataclass(frozen=True)
class LoginSession:
    started_at: datetime
    user_agent: str
    current: bool


def sessions_of(session: Session, public_id: str, current_token: str) -> list[LoginSession]:
    """The account's live login sessions, newest first; `current` marks the one asking."""
    current = token_hash(current_token)
    rows = session.execute(
        sa.select(login_sessions)
        .where(
            login_sessions.c.account_id == str(public_id),
            login_sessions.c.started_at > utcnow() - SESSION_LIFETIME,
        )
        .order_by(login_sessions.c.started_at.desc())
    )
    return [LoginSession(r.started_at, r.user_agent, r.token_hash == current) for r in rows]


def address_failures_in_window(session: Session, key: str) -> tuple[int, datetime | None]:
    """The failed logins a count of the login limit holds, and when its window ends (0, None
    when it has ended)."""
    row = session.execute(
        sa.select(address_failures.c.failures, address_failures.c.window_ends_at).where(
            address_failures.c.key == key, address_failures.c.window_ends_at > utcnow()
        )
    ).first()
    return (row.failures, row.window_ends_at) if row else (0, None)
