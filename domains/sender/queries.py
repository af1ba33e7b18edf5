"""What the admin's sender page reads: the sent log, newest first."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domains.sender.tables import emails


@dataclass(frozen=True)
class SentEmail:
    payment_id: str
    recipient: str
    subject: str
    amount: int
    billing_day: date
    status: str
    attempts: int
    last_error: str | None
    last_attempt_at: datetime
    sent_at: datetime | None


def recent_emails(session: Session, limit: int = 100) -> list[SentEmail]:
    columns = [emails.c[name] for name in SentEmail.__dataclass_fields__]
    rows = session.execute(sa.select(*columns).order_by(emails.c.id.desc()).limit(limit))
    return [SentEmail(**row._mapping) for row in rows]


def counts_by_status(session: Session) -> dict[str, int]:
    query = sa.select(emails.c.status, sa.func.count()).group_by(emails.c.status)
    return dict(session.execute(query).all())


def email_for(session: Session, payment_id: str) -> SentEmail | None:
    columns = [emails.c[name] for name in SentEmail.__dataclass_fields__]
    row = session.execute(sa.select(*columns).where(emails.c.payment_id == payment_id)).first()
    return SentEmail(**row._mapping) if row else None


def emails_for_payouts(
    session: Session, payouts: list[tuple[str, date]]
) -> dict[tuple[str, date], SentEmail]:
    """The sent log's rows of these payouts (account, billing day), a report's chunk at a time."""
    if not payouts:
        return {}
    columns = [emails.c[name] for name in SentEmail.__dataclass_fields__]
    days = [day for _, day in payouts]
    rows = session.execute(
        sa.select(emails.c.account, *columns).where(
            emails.c.account.in_({account for account, _ in payouts}),
            emails.c.billing_day.between(min(days), max(days)),
        )
    )
    wanted = set(payouts)
    found = {}
    for row in rows:
        key = (str(row.account), row.billing_day)
        if key in wanted:
            found[key] = SentEmail(
                **{name: row._mapping[name] for name in SentEmail.__dataclass_fields__}
            )
    return found
