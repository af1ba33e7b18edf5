"""The only code that writes accounts; every change publishes its account.* event with it."""

import math
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import utcnow
from ates.words import Words
from domains.auth import queries
from domains.auth.queries import SESSION_LIFETIME, Account, token_hash
from domains.auth.tables import (
    LANGUAGES,
    ROLES,
    accounts,
    address_failures,
    login_failures,
    login_sessions,
)
from outbox import publish

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")

# Failed logins for one name within FAILURE_WINDOW: the first FREE_FAILURES cost nothing, each
# one after doubles the wait before that name is checked again, up to MAX_DELAY. A stranger can
# slow a login by MAX_DELAY at most, never lock it; guessing runs one try per MAX_DELAY at most.
FREE_FAILURES = 3
MAX_DELAY = timedelta(seconds=60)
FAILURE_WINDOW = timedelta(minutes=15)

passwords = PasswordHasher()
_DUMMY_HASH = None


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher (the tests use cheap parameters; production keeps argon2's defaults)."""
    global passwords, _DUMMY_HASH
    passwords, _DUMMY_HASH = hasher, None


class AccountError(ValueError):
    """Refused input, as one message per form field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class UnknownAccount(LookupError):
    pass


def create_account(
    session: Session,
    *,
    login: str,
    full_name: str,
    email: str,
    role: str,
    password: str,
    public_id: str | None = None,
) -> Account:
    """Open an account with an initial password; publishes account.created."""
    login = (login or "").strip().lower()
    errors = _check_login(session, login) | _check_details(full_name, email)
    errors |= _check_role(role) | _check_password(password, login)
    if errors:
        raise AccountError(errors)
    now = utcnow()
    session.execute(
        sa.insert(accounts).values(
            public_id=public_id or str(uuid.uuid4()),
            login=login,
            full_name=full_name.strip(),
            email=email.strip(),
            role=role,
            active=True,
            password_hash=passwords.hash(password),
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    return _publish(session, "account.created", queries.account_by_login(session, login))


def update_account(session: Session, public_id: str, *, full_name: str, email: str) -> Account:
    """Change the full name and e-mail; publishes account.updated."""
    if errors := _check_details(full_name, email):
        raise AccountError(errors)
    return _change(
        session, public_id, "account.updated", full_name=full_name.strip(), email=email.strip()
    )


def change_role(session: Session, public_id: str, role: str) -> Account:
    """Give the account another role and end its sessions; publishes account.role_changed."""
    if errors := _check_role(role):
        raise AccountError(errors)
    account = _change(session, public_id, "account.role_changed", role=role)
    end_all_sessions(session, public_id)
    return account


def deactivate(session: Session, public_id: str) -> Account:
    """No more login, its sessions ended, no new tasks; publishes account.deactivated."""
    account = _change(session, public_id, "account.deactivated", active=False)
    end_all_sessions(session, public_id)
    return account


def reactivate(session: Session, public_id: str) -> Account:
    """Let a deactivated account back in; publishes account.reactivated."""
    return _change(session, public_id, "account.reactivated", active=True)


def choose_language(session: Session, public_id: str, language: str | None) -> Account:
    """The language of the parrot's pages and payout e-mails (None: the browser's, and English
    e-mails); publishes account.language_chosen when it changed."""
    if language is not None and language not in LANGUAGES:
        raise AccountError(
            {"language": Words("Choose one of %(languages)s.", languages=", ".join(LANGUAGES))}
        )
    account = _require(session, public_id)
    if account.language == language:
        return account  # chosen again: nothing changed, nothing to tell
    return _change(session, public_id, "account.language_chosen", language=language)


def set_password(session: Session, public_id: str, password: str) -> None:
    """A new password, and every session ended (no event: no other domain knows passwords)."""
    account = _require(session, public_id)
    if errors := _check_password(password, account.login):
        raise AccountError(errors)
    session.execute(
        sa.update(accounts)
        .where(accounts.c.public_id == public_id)
        .values(password_hash=passwords.hash(password), updated_at=utcnow())
    )
    end_all_sessions(session, public_id)


def start_session(session: Session, public_id: str, user_agent: str = "") -> str:
    """A new login session for the account; the token goes into its cookies, only its hash
    into the table."""
    now = utcnow()
    session.execute(
        sa.delete(login_sessions).where(login_sessions.c.started_at < now - SESSION_LIFETIME)
    )
    token = secrets.token_urlsafe(32)
    session.execute(
        sa.insert(login_sessions).values(
            token_hash=token_hash(token),
            account_id=str(public_id),
            started_at=now,
            user_agent=(user_agent or "")[:200],
        )
    )
    return token


def end_session(session: Session, token: str) -> None:
    """Log this session out for good: its cookies, wherever copied, stand for nobody now."""
    session.execute(
        sa.delete(login_sessions).where(login_sessions.c.token_hash == token_hash(token))
    )


def end_other_sessions(session: Session, public_id: str, keep: str) -> int:
    """Log the account out everywhere but the session `keep`; how many were ended."""
    return session.execute(
        sa.delete(login_sessions).where(
            login_sessions.c.account_id == str(public_id),
            login_sessions.c.token_hash != token_hash(keep),
        )
    ).rowcount


def end_all_sessions(session: Session, public_id: str) -> None:
    session.execute(sa.delete(login_sessions).where(login_sessions.c.account_id == str(public_id)))


@dataclass(frozen=True)
class LoginOutcome:
    account: Account | None
    message: str = ""
    retry_after: int = 0  # seconds before this login name is checked again; 0: no delay


def delay_after(failures: int) -> timedelta:
    """The wait after this many failures in a row: none, then 1 s, 2 s, 4 s... up to MAX_DELAY."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** min(failures - FREE_FAILURES - 1, 16)))


def authenticate(
    session: Session, login: str, password: str, now: datetime | None = None
) -> LoginOutcome:
    """Check a login; failures are counted per login name and delay its next check."""
    now = now or utcnow()
    login = (login or "").strip().lower()[:64]
    failures = session.execute(
        sa.select(login_failures).where(login_failures.c.login == login)
    ).first()
    if failures and failures.next_try_at and failures.next_try_at > now:
        # Not checked, not counted: a guesser hammering the name does not stretch the wait.
        seconds = math.ceil((failures.next_try_at - now).total_seconds())
        return LoginOutcome(
            None,
            Words(
                "Too many failed attempts for this login; try again in %(seconds)d s.",
                seconds=seconds,
            ),
            retry_after=seconds,
        )
    row = session.execute(
        sa.select(accounts.c.public_id, accounts.c.password_hash, accounts.c.active).where(
            accounts.c.login == login
        )
    ).first()
    verified = _verify(row.password_hash if row else None, password)
    if row is None or not verified:
        _count_failure(session, login, now)
        return LoginOutcome(None, Words("Wrong login or password."))
    if not row.active:
        return LoginOutcome(None, Words("This account is deactivated."))
    session.execute(sa.delete(login_failures).where(login_failures.c.login == login))
    if passwords.check_needs_rehash(row.password_hash):
        session.execute(
            sa.update(accounts)
            .where(accounts.c.public_id == row.public_id)
            .values(password_hash=passwords.hash(password))
        )
    return LoginOutcome(queries.account(session, row.public_id))


def _verify(password_hash: str | None, password: str) -> bool:
    global _DUMMY_HASH
    if password_hash is None:
        # Spend the same time on an unknown login, so timing does not tell which logins exist.
        _DUMMY_HASH = _DUMMY_HASH or passwords.hash("no such account")
        password_hash = _DUMMY_HASH
        password = password + "\0"
    try:
        return passwords.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(session: Session, login: str, now: datetime) -> None:
    statement = (
        backend(session).insert(login_failures).values(login=login, failures=1, last_failed_at=now)
    )
    stale = login_failures.c.last_failed_at < now - FAILURE_WINDOW
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[login_failures.c.login],
            set_={
                "failures": sa.case((stale, 1), else_=login_failures.c.failures + 1),
                "last_failed_at": now,
            },
        )
    )
    failures = session.scalar(
        sa.select(login_failures.c.failures).where(login_failures.c.login == login)
    )
    if delay := delay_after(failures):
        session.execute(
            sa.update(login_failures)
            .where(login_failures.c.login == login)
            .values(next_try_at=now + delay)
        )
    # Names tried once and forgotten (typos, guesses) do not pile up.
    session.execute(
        sa.delete(login_failures).where(
            login_failures.c.last_failed_at < now - FAILURE_WINDOW - MAX_DELAY
        )
    )


def count_address_failures(session: Session, key: str, failures: int, window: timedelta) -> int:
    """Add failed logins to a count of the login limit (a window that ended starts again);
    returns the count in the window."""
    now = utcnow()
    ended = address_failures.c.window_ends_at <= now
    fresh = backend(session).insert(address_failures)
    fresh = fresh.values(key=key, failures=failures, window_ends_at=now + window)
    counted = fresh.on_conflict_do_update(
        index_elements=[address_failures.c.key],
        set_={
            "failures": sa.case(
                (ended, fresh.excluded.failures),
                else_=address_failures.c.failures + fresh.excluded.failures,
            ),
            "window_ends_at": sa.case(
                (ended, fresh.excluded.window_ends_at), else_=address_failures.c.window_ends_at
            ),
        },
    )
    return session.scalar(counted.returning(address_failures.c.failures))


def forget_ended_address_failures(session: Session) -> None:
    """Drop the counts whose window ended, so addresses that stopped failing do not pile up."""
    session.execute(
        sa.delete(address_failures).where(address_failures.c.window_ends_at <= utcnow())
    )


def forget_address_failures(session: Session, key: str | None = None) -> None:
    """Clear one count of the login limit, or every one."""
    forget = sa.delete(address_failures)
    session.execute(forget if key is None else forget.where(address_failures.c.key == key))


def _change(session: Session, public_id: str, event_name: str, **values) -> Account:
    _require(session, public_id)
    session.execute(
        sa.update(accounts)
        .where(accounts.c.public_id == str(public_id))
        .values(**values, version=accounts.c.version + 1, updated_at=utcnow())
    )
    return _publish(session, event_name, queries.account(session, public_id))


def _require(session: Session, public_id: str) -> Account:
    account = queries.account(session, public_id)
    if account is None:
        raise UnknownAccount(public_id)
    return account


def _publish(session: Session, event_name: str, account: Account) -> Account:
    publish(
        session,
        event_name,
        1,
        producer="auth",
        key=account.public_id,
        data=account.as_event_data(language=event_name == "account.language_chosen"),
    )
    return account


def _check_login(session: Session, login: str) -> dict[str, str]:
    if not login:
        return {"login": Words("Give a login name.")}
    if not LOGIN.match(login):
        return {
            "login": Words(
                "Use up to 64 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit."
            )
        }
    if queries.account_by_login(session, login) is not None:
        return {"login": Words("The login “%(login)s” is taken.", login=login)}
    return {}


def _check_details(full_name: str, email: str) -> dict[str, str]:
    errors = {}
    full_name, email = (full_name or "").strip(), (email or "").strip()
    if not full_name:
        errors["full_name"] = Words("Give a full name.")
    elif len(full_name) > 200:
        errors["full_name"] = Words("Keep the full name under 200 characters.")
    if not email:
        errors["email"] = Words("Give an e-mail address.")
    elif len(email) > 254 or not _is_email(email):
        errors["email"] = Words("This is not an e-mail address (like kesha@uberpopug.example).")
    return errors


def _is_email(address: str) -> bool:
    # The syntax only: deliverability would ask DNS on every save.
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _check_role(role: str) -> dict[str, str]:
    if role not in ROLES:
        return {"role": Words("Choose one of: %(roles)s.", roles=", ".join(ROLES))}
    return {}


def _check_password(password: str, login: str) -> dict[str, str]:
    password = password or ""
    if len(password) < MIN_PASSWORD:
        return {"password": Words("Use at least %(least)d characters.", least=MIN_PASSWORD)}
    if not password.strip():
        return {"password": Words("Use a password that is not only spaces.")}
    if password.strip().lower() == login.strip().lower():
        return {"password": Words("Use a password that is not your login.")}
    if password.lower() in _common_passwords():
        return {"password": Words("This password is too common; guessers try it first.")}
    return {}


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))
