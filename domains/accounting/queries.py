"""What accounting's pages and reports read. Descriptions are resolved here, at display time,
from the task copy, so a title that arrived after the entry still shows."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domains.accounting.rules import DAY_TOTALS, Price, dollars
from domains.accounting.tables import (
    day_close_payouts,
    day_closes,
    ledger_accounts,
    ledger_entries,
    priced_tasks,
    scheduled_close_failures,
)
from domains.accounting.tables import day_totals as totals_table

KIND_LABELS = {
    "assign_fee": "Assign fee",
    "completion_reward": "Completion reward",
    "payout": "Payout",
}
STREAM_CHUNK = 1000


@dataclass(frozen=True)
class Entry:
    recorded_at: datetime
    billing_day: date
    account_id: str
    account_name: str | None
    kind: str
    amount: int
    task_id: str | None
    title: str | None
    jira_id: str | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def description(self) -> str:
        if self.kind == "payout":
            return f"Payout of the balance at the close of {self.billing_day.isoformat()}"
        if self.task_id is None:
            return self.kind_label
        jira = f"[{self.jira_id}] " if self.jira_id else ""
        title = self.title or f"task {self.task_id[:8]} (title not known yet)"
        return f"{self.kind_label}: {jira}{title}"


@dataclass(frozen=True)
class DayTotals:
    billing_day: date
    fees_charged: int  # positive cents
    rewards_paid: int  # positive cents
    payouts: int  # positive cents
    entries: int

    @property
    def management_earnings(self) -> int:
        return self.fees_charged - self.rewards_paid


def _entries_query():
    return (
        sa.select(
            ledger_entries.c.recorded_at,
            ledger_entries.c.billing_day,
            ledger_entries.c.account_id,
            ledger_accounts.c.full_name.label("account_name"),
            ledger_entries.c.kind,
            ledger_entries.c.amount,
            ledger_entries.c.task_id,
            priced_tasks.c.title,
            priced_tasks.c.jira_id,
        )
        .select_from(ledger_entries)
        .outerjoin(priced_tasks, priced_tasks.c.public_id == ledger_entries.c.task_id)
        .outerjoin(ledger_accounts, ledger_accounts.c.public_id == ledger_entries.c.account_id)
    )


def balance_of(session: Session, account_id: str) -> int:
    """The parrot's balance in cents (0 when accounting has not heard of them yet)."""
    balance = session.scalar(
        sa.select(ledger_accounts.c.balance).where(ledger_accounts.c.public_id == account_id)
    )
    return balance or 0


def audit_log(session: Session, account_id: str, day: date) -> list[Entry]:
    """One parrot's entries of one billing day, oldest first."""
    query = _entries_query().where(
        ledger_entries.c.account_id == account_id, ledger_entries.c.billing_day == day
    )
    return [Entry(**row._mapping) for row in session.execute(query.order_by(ledger_entries.c.id))]


def _totals_query(start: date, end: date):
    def total(column):
        # PostgreSQL sums bigints as numeric; cents stay integers.
        return sa.cast(sa.func.sum(totals_table.c[column]), sa.BigInteger).label(column)

    return (
        sa.select(
            totals_table.c.billing_day,
            *(total(column) for column in DAY_TOTALS),
        )
        .where(totals_table.c.billing_day.between(start, end))
        .group_by(totals_table.c.billing_day)
        .order_by(totals_table.c.billing_day)
    )


def day_totals(session: Session, start: date, end: date) -> list[DayTotals]:
    """Company totals per billing day over a range (days without entries are left out)."""
    return [DayTotals(**row._mapping) for row in session.execute(_totals_query(start, end))]


def totals_of_day(session: Session, day: date) -> DayTotals:
    """One billing day's totals; management earnings = fees charged - rewards paid."""
    found = day_totals(session, day, day)
    return found[0] if found else DayTotals(day, 0, 0, 0, 0)


@dataclass(frozen=True)
class Balance:
    account_id: str
    full_name: str | None
    login: str | None
    email: str | None
    role: str | None
    balance: int


def balances(session: Session, *, offset: int = 0, limit: int | None = None) -> list[Balance]:
    """Ledger accounts' balances, lowest first (who is in the red shows at the top)."""
    query = sa.select(
        ledger_accounts.c.public_id.label("account_id"),
        ledger_accounts.c.full_name,
        ledger_accounts.c.login,
        ledger_accounts.c.email,
        ledger_accounts.c.role,
        ledger_accounts.c.balance,
    ).order_by(ledger_accounts.c.balance, ledger_accounts.c.login, ledger_accounts.c.public_id)
    query = query.offset(offset).limit(limit)
    return [Balance(**row._mapping) for row in session.execute(query)]


def closed_at(session: Session, day: date) -> datetime | None:
    return session.scalar(sa.select(day_closes.c.closed_at).where(day_closes.c.billing_day == day))


def stream_ledger(session: Session, start: date, end: date) -> Iterator[Entry]:
    """Every entry of a date range, streamed from the database in chunks (for reports)."""
    query = (
        _entries_query()
        .where(ledger_entries.c.billing_day.between(start, end))
        .order_by(ledger_entries.c.billing_day, ledger_entries.c.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for row in session.execute(query):
        yield Entry(**row._mapping)


def stream_day_totals(session: Session, start: date, end: date) -> Iterator[DayTotals]:
    """Per-day totals of a date range, streamed (one row per day, so small even for a year)."""
    query = _totals_query(start, end).execution_options(yield_per=STREAM_CHUNK)
    for row in session.execute(query):
        yield DayTotals(**row._mapping)


@dataclass(frozen=True)
class DayClose:
    billing_day: date
    closed_at: datetime
    paid: int  # parrots
    total: int  # cents


def latest_close(session: Session) -> DayClose | None:
    """The latest closed day: when, how many were paid, how much."""
    last = session.execute(
        sa.select(day_closes.c.billing_day, day_closes.c.closed_at)
        .order_by(day_closes.c.billing_day.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    paid, total = session.execute(
        sa.select(
            sa.func.count(),
            sa.cast(sa.func.coalesce(sa.func.sum(day_close_payouts.c.amount), 0), sa.BigInteger),
        ).where(day_close_payouts.c.billing_day == last.billing_day)
    ).one()
    return DayClose(last.billing_day, last.closed_at, paid, total)


def last_day_close(session: Session) -> dict | None:
    """The latest closed day as the operations panel lists it."""
    last = latest_close(session)
    if last is None:
        return None
    return {
        "Billing day": last.billing_day.isoformat(),
        "Closed at (UTC)": last.closed_at.strftime("%Y-%m-%d %H:%M"),
        "Parrots paid": last.paid,
        "Paid out": f"${dollars(last.total)}",
    }


def price_of(session: Session, task_id: str) -> Price | None:
    """A task's price, once accounting has seen the task (None before)."""
    return prices_of(session, [task_id]).get(str(task_id))


def prices_of(session: Session, task_ids: list[str]) -> dict[str, Price]:
    """The prices of these tasks that accounting has seen, by task id."""
    if not task_ids:
        return {}
    rows = session.execute(
        sa.select(
            priced_tasks.c.public_id, priced_tasks.c.assign_fee, priced_tasks.c.completion_reward
        ).where(priced_tasks.c.public_id.in_([str(task) for task in task_ids]))
    )
    return {row.public_id: Price(row.assign_fee, row.completion_reward) for row in rows}


def scheduled_close_trouble(session: Session) -> dict | None:
    """The scheduled close that failed and is being retried, if any (the operations panel)."""
    failed = session.execute(
        sa.select(scheduled_close_failures)
        .order_by(scheduled_close_failures.c.billing_day)
        .limit(1)
    ).first()
    if failed is None:
        return None
    return {
        "Billing day not closed": failed.billing_day.isoformat(),
        "Failed attempts": failed.attempts,
        "Last attempt (UTC)": failed.failed_at.strftime("%Y-%m-%d %H:%M"),
        "Last error": failed.last_error,
        "Next attempt": "within a few minutes, until the day is closed",
    }
