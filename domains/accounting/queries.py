"""What accounting's pages and reports read. Descriptions are resolved here, at display time,
from the task copy, so a title that arrived after the entry still shows."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ates.backend import backend
from ates.money import dollars
from ates.words import Words
from domains.accounting.ids import payout_id
from domains.accounting.rules import DAY_TOTALS, Price
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
    "assign_fee": Words("Assign fee"),
    "completion_reward": Words("Completion reward"),
    "payout": Words("Payout"),
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
            # The day itself, not its text: files print it ISO, a page the reader's way.
            return Words("Payout of the balance at the close of %(day)s", day=self.billing_day)
        if self.task_id is None:
            return self.kind_label
        jira = f"[{self.jira_id}] " if self.jira_id else ""
        title = self.title or Words("task %(id)s (title not known yet)", id=self.task_id[:8])
        return Words("%(kind)s: %(jira)s%(title)s", kind=self.kind_label, jira=jira, title=title)


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


def every_day(days: Iterable[DayTotals], start: date, end: date) -> Iterator[DayTotals]:
    """Every day of the range in order, a day without entries as zeros (`days` sorted by day)."""
    day = start
    for found in days:
        while day < found.billing_day:
            yield DayTotals(day, 0, 0, 0, 0)
            day += timedelta(days=1)
        yield found
        day = found.billing_day + timedelta(days=1)
    while day <= end:
        yield DayTotals(day, 0, 0, 0, 0)
        day += timedelta(days=1)


def range_total(days: Iterable[DayTotals], start: date) -> DayTotals:
    """The days' totals added up (dated with the range's first day)."""
    sums = dict.fromkeys(DAY_TOTALS, 0)
    for found in days:
        for column in DAY_TOTALS:
            sums[column] += getattr(found, column)
    return DayTotals(start, **sums)


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


def _balances_query():
    return sa.select(
        ledger_accounts.c.public_id.label("account_id"),
        ledger_accounts.c.full_name,
        ledger_accounts.c.login,
        ledger_accounts.c.email,
        ledger_accounts.c.role,
        ledger_accounts.c.balance,
    )


SEARCH_MAX = 64
BALANCE_SORTS = ("balance", "name", "login")


@dataclass(frozen=True)
class BalancesFilter:
    """The balances table as chosen: a search in login or name, a sort and its direction."""

    search: str = ""
    sort: str = "balance"
    descending: bool = False

    def where(self):
        if not self.search:
            return sa.true()
        escaped = self.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        return sa.or_(
            sa.func.lower(ledger_accounts.c.login).like(pattern, escape="\\"),
            sa.func.lower(ledger_accounts.c.full_name).like(pattern, escape="\\"),
        )

    def order_by(self) -> list:
        first = {
            "balance": ledger_accounts.c.balance,
            "name": sa.func.coalesce(ledger_accounts.c.full_name, ledger_accounts.c.login, ""),
            "login": sa.func.coalesce(ledger_accounts.c.login, ""),
        }[self.sort]
        columns = [first, ledger_accounts.c.login, ledger_accounts.c.public_id]
        return [c.desc() if self.descending else c for c in columns]


def balances(
    session: Session,
    chosen: BalancesFilter = BalancesFilter(),
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[Balance]:
    """Ledger accounts' balances, lowest first by default (who is in the red shows at the top)."""
    query = _balances_query().where(chosen.where()).order_by(*chosen.order_by())
    query = query.offset(offset).limit(limit)
    return [Balance(**row._mapping) for row in session.execute(query)]


@dataclass(frozen=True)
class BalancesTotal:
    accounts: int
    total: int  # cents: what the company owes its parrots (negative: what they owe it)


def balances_total(session: Session, chosen: BalancesFilter = BalancesFilter()) -> BalancesTotal:
    """How many accounts the balances table holds and the sum of their balances."""
    row = session.execute(
        sa.select(
            sa.func.count().label("accounts"),
            sa.cast(
                sa.func.coalesce(sa.func.sum(ledger_accounts.c.balance), 0), sa.BigInteger
            ).label("total"),
        ).where(chosen.where())
    ).one()
    return BalancesTotal(**row._mapping)


# Built once: every delivery of fees or rewards asks it (see `ates.backend.records`).
CLOSED_SINCE = sa.select(day_closes.c.billing_day).where(
    day_closes.c.billing_day >= sa.bindparam("day", type_=sa.Date)
)


def open_billing_day(session: Session, day: date) -> date:
    """The day itself, or the next day whose close has not run yet (where new entries go)."""
    closed = set(session.scalars(CLOSED_SINCE, {"day": day}))
    while day in closed:
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class ClosedDay:
    """A billing day's close, as recorded: when, by whom (None: the schedule), what it paid."""

    billing_day: date
    closed_at: datetime
    closed_by: str | None
    closed_by_name: str | None
    early: bool
    paid: int
    total: int  # cents


def closed_day(session: Session, day: date) -> ClosedDay | None:
    """The close of `day`, or None while the day is open."""
    closer = ledger_accounts.alias("closer")
    paid = (
        sa.select(
            sa.func.count().label("paid"),
            sa.cast(
                sa.func.coalesce(sa.func.sum(day_close_payouts.c.amount), 0), sa.BigInteger
            ).label("total"),
        )
        .where(day_close_payouts.c.billing_day == day)
        .subquery()
    )
    row = session.execute(
        sa.select(
            day_closes.c.billing_day,
            day_closes.c.closed_at,
            day_closes.c.closed_by,
            sa.func.coalesce(closer.c.full_name, closer.c.login).label("closed_by_name"),
            day_closes.c.early,
            paid.c.paid,
            paid.c.total,
        )
        .select_from(day_closes)
        .join(paid, sa.true())
        .outerjoin(closer, closer.c.public_id == day_closes.c.closed_by)
        .where(day_closes.c.billing_day == day)
    ).first()
    return ClosedDay(**row._mapping) if row else None


def amounts_due(day: date) -> sa.Subquery:
    """What closing `day` now pays each account (`account_id`, `amount`, `payable`): its balance
    at the day's end, when positive.

    That is the balance less the entries of later days: a close that runs late (its worker was
    down, the books were catching up) pays the day it closes, and what came after carries over
    to its own day. Once a later day is closed, its close paid this day's activity too, so
    nothing is due. `payable`: accounting knows the parrot's name and e-mail (a payout is
    e-mailed); other positive balances wait for them.
    """
    later = (
        sa.select(
            ledger_entries.c.account_id,
            sa.func.sum(ledger_entries.c.amount).label("amount"),
        )
        .where(ledger_entries.c.billing_day > day)
        .group_by(ledger_entries.c.account_id)
        .subquery("later")
    )
    at_day_end = ledger_accounts.c.balance - sa.func.coalesce(later.c.amount, 0)
    later_close = sa.select(day_closes.c.billing_day).where(day_closes.c.billing_day > day)
    return (
        sa.select(
            ledger_accounts.c.public_id.label("account_id"),
            sa.cast(at_day_end, sa.BigInteger).label("amount"),
            (ledger_accounts.c.email.is_not(None) & ledger_accounts.c.full_name.is_not(None)).label(
                "payable"
            ),
        )
        .outerjoin(later, later.c.account_id == ledger_accounts.c.public_id)
        .where(at_day_end > 0, ~later_close.exists())
        .subquery("due")
    )


@dataclass(frozen=True)
class ClosePreview:
    """What closing a day now would pay (`amounts_due`)."""

    parrots: int
    total: int  # cents
    waiting_for_email: int  # positive balances kept until accounting knows their e-mail


def close_preview(session: Session, day: date) -> ClosePreview:
    due = amounts_due(day)
    row = session.execute(
        sa.select(
            sa.func.count().filter(due.c.payable).label("parrots"),
            sa.cast(
                sa.func.coalesce(sa.func.sum(due.c.amount).filter(due.c.payable), 0),
                sa.BigInteger,
            ).label("total"),
            sa.func.count().filter(~due.c.payable).label("waiting_for_email"),
        )
    ).one()
    return ClosePreview(**row._mapping)


# --- one parrot's open billing period ---------------------------------------------------------

STATEMENT_LINES = 500  # a page shows the latest; the statement download has them all


@dataclass(frozen=True)
class StatementLine:
    entry: Entry
    balance: int  # the running balance after this entry


@dataclass(frozen=True)
class Statement:
    """A parrot's open billing period: the balance and the entries that make it up.

    opening + earlier_sum + the lines' amounts == balance, always: the lines, the period's sum
    and the balance are read in one statement (one snapshot).
    """

    account_id: str
    last_payout: Entry | None  # the period starts after it; None: since the account opened
    opening: int  # the balance right after the last payout (usually 0)
    earlier_count: int  # entries of the period older than the lines shown
    earlier_sum: int
    lines: list[StatementLine]  # oldest first
    balance: int

    def days(self) -> list[tuple[date, list[StatementLine]]]:
        """The lines grouped by billing day, in order."""
        grouped: dict[date, list[StatementLine]] = {}
        for line in self.lines:
            grouped.setdefault(line.entry.billing_day, []).append(line)
        return list(grouped.items())


def _last_payout(session: Session, account_id: str) -> tuple[int, Entry] | None:
    """The parrot's latest payout entry and its id (found by its close's key, not by a scan)."""
    day = session.scalar(
        sa.select(sa.func.max(day_close_payouts.c.billing_day)).where(
            day_close_payouts.c.account_id == account_id
        )
    )
    if day is None:
        return None
    row = session.execute(
        _entries_query()
        .add_columns(ledger_entries.c.id)
        .where(
            ledger_entries.c.cause_id == f"close:{day.isoformat()}",
            ledger_entries.c.kind == "payout",
            ledger_entries.c.account_id == account_id,
        )
    ).first()
    if row is None:
        return None
    fields = dict(row._mapping)
    return fields.pop("id"), Entry(**fields)


def open_period(session: Session, account_id: str, limit: int = STATEMENT_LINES) -> Statement:
    """The parrot's balance and the entries since their last payout, with a running balance."""
    last = _last_payout(session, account_id)
    after = last[0] if last else 0
    in_period = (ledger_entries.c.account_id == account_id) & (ledger_entries.c.id > after)
    balance_now = (
        sa.select(ledger_accounts.c.balance)
        .where(ledger_accounts.c.public_id == account_id)
        .scalar_subquery()
    )
    rows = session.execute(
        _entries_query()
        .add_columns(
            sa.func.count().over().label("period_entries"),
            sa.cast(sa.func.sum(ledger_entries.c.amount).over(), sa.BigInteger).label("period_sum"),
            balance_now.label("balance"),
        )
        .where(in_period)
        .order_by(ledger_entries.c.id.desc())
        .limit(limit)
    ).all()
    if rows:
        balance, period_entries, period_sum = (
            rows[0].balance,
            rows[0].period_entries,
            rows[0].period_sum,
        )
    else:
        balance, period_entries, period_sum = balance_of(session, account_id), 0, 0
    fields = Entry.__dataclass_fields__
    entries = [Entry(**{name: row._mapping[name] for name in fields}) for row in reversed(rows)]
    shown = sum(e.amount for e in entries)
    opening = balance - period_sum
    running = opening + period_sum - shown
    lines = []
    for entry in entries:
        running += entry.amount
        lines.append(StatementLine(entry, running))
    return Statement(
        account_id=account_id,
        last_payout=last[1] if last else None,
        opening=opening,
        earlier_count=period_entries - len(entries),
        earlier_sum=period_sum - shown,
        lines=lines,
        balance=balance,
    )


def account(session: Session, account_id: str) -> Balance | None:
    """One parrot's ledger account and balance; None if accounting never heard of them."""
    row = session.execute(
        _balances_query().where(ledger_accounts.c.public_id == account_id)
    ).first()
    return Balance(**row._mapping) if row else None


def stream_ledger(
    session: Session, start: date, end: date, account_id: str | None = None
) -> Iterator[Entry]:
    """Every entry of a date range (of one parrot, or all), streamed in chunks (for reports)."""
    query = _entries_query().where(ledger_entries.c.billing_day.between(start, end))
    if account_id is not None:
        query = query.where(ledger_entries.c.account_id == account_id)
    query = query.order_by(ledger_entries.c.billing_day, ledger_entries.c.id).execution_options(
        yield_per=STREAM_CHUNK
    )
    for row in session.execute(query):
        yield Entry(**row._mapping)


def balance_before(session: Session, account_id: str, day: date) -> int:
    """The parrot's balance before a billing day: the sum of their entries of earlier days."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(ledger_entries.c.amount), 0)).where(
            ledger_entries.c.account_id == account_id, ledger_entries.c.billing_day < day
        )
    )
    return int(total)


@dataclass(frozen=True)
class Payout:
    billing_day: date
    closed_at: datetime
    closed_by: str | None
    closed_by_name: str | None
    account_id: str
    full_name: str | None
    login: str | None
    email: str | None
    amount: int  # positive cents
    payment_id: str  # the payment the close made of it (and the e-mail's key)


def stream_payouts(session: Session, start: date, end: date) -> Iterator[Payout]:
    """Every payout of the closes of a date range, with who closed the day and when."""
    closer = ledger_accounts.alias("closer")
    query = (
        sa.select(
            day_closes.c.billing_day,
            day_closes.c.closed_at,
            day_closes.c.closed_by,
            sa.func.coalesce(closer.c.full_name, closer.c.login).label("closed_by_name"),
            day_close_payouts.c.account_id,
            ledger_accounts.c.full_name,
            ledger_accounts.c.login,
            ledger_accounts.c.email,
            day_close_payouts.c.amount,
            payout_id(
                "payment",
                backend(session),
                day_close_payouts.c.account_id,
                day_close_payouts.c.billing_day,
            ).label("payment_id"),
        )
        .select_from(day_close_payouts)
        .join(day_closes, day_closes.c.billing_day == day_close_payouts.c.billing_day)
        .outerjoin(ledger_accounts, ledger_accounts.c.public_id == day_close_payouts.c.account_id)
        .outerjoin(closer, closer.c.public_id == day_closes.c.closed_by)
        .where(day_close_payouts.c.billing_day.between(start, end))
        .order_by(
            day_close_payouts.c.billing_day, ledger_accounts.c.login, day_close_payouts.c.account_id
        )
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for row in session.execute(query):
        yield Payout(**row._mapping)


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


@dataclass(frozen=True)
class FeesCharged:
    entries: int
    total: int  # positive cents


def fees_charged_for(session: Session, causes) -> FeesCharged:
    """The assign fees accounting has booked for these causing events (a select of their ids)."""
    row = session.execute(
        sa.select(
            sa.func.count().label("entries"),
            sa.cast(
                sa.func.coalesce(-sa.func.sum(ledger_entries.c.amount), 0), sa.BigInteger
            ).label("total"),
        ).where(
            ledger_entries.c.kind == "assign_fee",
            ledger_entries.c.cause_id.in_(causes),
        )
    ).one()
    return FeesCharged(**row._mapping)
