"""The only code that writes the sent log: send a payout e-mail once, note a failed attempt."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.database import utcnow
from domains.sender.mailer import Mailer
from domains.sender.message import payout_email, subject
from domains.sender.tables import emails


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
    now = utcnow()
    if row is None:
        session.execute(sa.insert(emails).values(_new_row(payment, now, status="queued")))
    mailer.send(payout_email(payment, sender), name=payment["payment_id"])
    session.execute(
        sa.update(emails)
        .where(emails.c.payment_id == payment["payment_id"])
        .values(
            status="sent",
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
        session.execute(
            sa.insert(emails).values(
                _new_row(payment, now, status="failed") | {"attempts": 1, "last_error": error}
            )
        )


def _new_row(payment: dict, now, status: str) -> dict:
    billing_day = date.fromisoformat(payment["billing_day"])
    return {
        "payment_id": payment["payment_id"],
        "account": payment["account"],
        "recipient": payment["email"],
        "subject": subject(payment["amount"], billing_day),
        "amount": payment["amount"],
        "billing_day": billing_day,
        "status": status,
        "attempts": 0,
        "last_error": None,
        "created_at": now,
        "last_attempt_at": now,
        "sent_at": None,
    }
