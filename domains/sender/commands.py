"""The only code that writes the sender's tables: send a payout e-mail once, note a failed
attempt, keep each parrot's language."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import utcnow
from domains.sender.mailer import Mailer
from domains.sender.message import payout_email, subject
from domains.sender.tables import emails, languages


def email_payout(session: Session, payment: dict, mailer: Mailer, sender: str) -> bool:
    """E-mail the parrot its payout unless the sent log says it went; True if sent now."""
    # Lock (or insert) the row before sending and mark it sent in the same transaction: a
    # concurrent delivery waits, then skips. Only a crash between the SMTP server's accept and
    # the commit sends twice.
    row = session.execute(
        backend(session).for_update(
            sa.select(emails.c.status, emails.c.attempts).where(
                emails.c.payment_id == payment["payment_id"]
            )
        )
    ).one_or_none()
    if row is not None and row.status == "sent":
        return False
    now, language = utcnow(), language_of(session, payment["account"])
    if row is None:
        session.execute(sa.insert(emails).values(_new_row(payment, now, "queued", language)))
    message = payout_email(payment, sender, language)
    mailer.send(message, name=payment["payment_id"])
    session.execute(
        sa.update(emails)
        .where(emails.c.payment_id == payment["payment_id"])
        .values(
            status="sent",
            subject=str(message["Subject"]),  # a retry may speak a language chosen since
            attempts=emails.c.attempts + 1,
            last_error=None,
            last_attempt_at=now,
            sent_at=utcnow(),
        )
    )
    return True


def note_failed_attempt(session: Session, payment: dict, error: str) -> None:
    """Record a failed attempt (its send was rolled back) without touching a sent e-mail."""
    now = utcnow()
    changed = session.execute(
        sa.update(emails)
        .where(emails.c.payment_id == payment["payment_id"], emails.c.status != "sent")
        .values(
            status="failed", attempts=emails.c.attempts + 1, last_error=error, last_attempt_at=now
        )
    ).rowcount
    exists = changed or session.scalar(
        sa.select(emails.c.id).where(emails.c.payment_id == payment["payment_id"])
    )
    if not exists:
        row = _new_row(payment, now, "failed", language_of(session, payment["account"]))
        session.execute(sa.insert(emails).values(row | {"attempts": 1, "last_error": error}))


def remember_language(session: Session, account: dict) -> None:
    """Keep the language of the account's newest version seen (events come in any order)."""
    statement = backend(session).insert(languages)
    statement = statement.values(
        account=account["public_id"], language=account["language"], version=account["version"]
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[languages.c.account],
            set_={"language": statement.excluded.language, "version": statement.excluded.version},
            where=statement.excluded.version > languages.c.version,
        )
    )


def language_of(session: Session, account: str) -> str | None:
    """The language the parrot chose; None (English) if none, or if its event is still on its
    way."""
    return session.scalar(sa.select(languages.c.language).where(languages.c.account == account))


def _new_row(payment: dict, now, status: str, language: str | None) -> dict:
    billing_day = date.fromisoformat(payment["billing_day"])
    return {
        "payment_id": payment["payment_id"],
        "account": payment["account"],
        "recipient": payment["email"],
        "subject": subject(payment["amount"], billing_day, language),
        "amount": payment["amount"],
        "billing_day": billing_day,
        "status": status,
        "attempts": 0,
        "last_error": None,
        "created_at": now,
        "last_attempt_at": now,
        "sent_at": None,
    }
