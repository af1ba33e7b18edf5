"""The admin's figures, computed from the stored facts. Callers pass the days (company time zone).

Management earnings of a day = assign fees charged that day - completion rewards paid that day,
i.e. minus the sum of those signed entries (fees are negative, rewards positive for the parrot).
Payouts are not earnings.
"""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from domains.analytics.clock import days, this_month, this_week
from domains.analytics.tables import accounts, balances, ledger_entries, tasks

EARNING_KINDS = ("assign_fee", "completion_reward")


def earnings_by_day(session: Session, start: date, end: date) -> dict[date, int]:
    """Management earnings in cents for every day from start to end (0 on quiet days)."""
    e = ledger_entries.c
    rows = session.execute(
        sa.select(e.billing_day, -sa.func.sum(e.amount))
        .where(e.billing_day.between(start, end), e.kind.in_(EARNING_KINDS))
        .group_by(e.billing_day)
    )
    found = {day: int(total) for day, total in rows}
    return {day: found.get(day, 0) for day in days(start, end)}


def management_earnings(session: Session, day: date) -> int:
    """Management earnings in cents for one billing day."""
    return earnings_by_day(session, day, day)[day]


def totals_by_kind(session: Session, day: date) -> dict[str, int]:
    """Signed sums in cents of one day's fees, rewards and payouts, as the ledger recorded them."""
    e = ledger_entries.c
    rows = session.execute(
        sa.select(e.kind, sa.func.sum(e.amount)).where(e.billing_day == day).group_by(e.kind)
    )
    found = {kind: int(total) for kind, total in rows}
    return {kind: found.get(kind, 0) for kind in (*EARNING_KINDS, "payout")}


def _balances_at(day: date):
    """(account, balance at the end of day): the running balance minus any later entries."""
    e, b = ledger_entries.c, balances.c
    later = (
        sa.select(e.account, sa.func.sum(e.amount).label("amount"))
        .where(e.billing_day > day)
        .group_by(e.account)
        .subquery()
    )
    balance = (b.balance - sa.func.coalesce(later.c.amount, 0)).label("balance")
    return sa.select(b.account, balance).outerjoin(later, later.c.account == b.account)


def balances_at(session: Session, day: date) -> dict[str, int]:
    """Every parrot's balance in cents at the end of a day (all their entries up to it)."""
    return {account: int(total) for account, total in session.execute(_balances_at(day))}


def parrots_in_the_red(session: Session, day: date) -> int:
    """How many parrots have a negative balance at the end of a day."""
    at_day = _balances_at(day).subquery()
    return session.scalar(
        sa.select(sa.func.count()).select_from(at_day).where(at_day.c.balance < 0)
    )


@dataclass(frozen=True)
class InTheRed:
    account: str
    name: str | None  # None until auth's account event arrives
    balance: int  # cents, negative


def who_is_in_the_red(session: Session, day: date) -> list[InTheRed]:
    """The parrots with a negative balance at the end of a day, deepest first."""
    at_day = _balances_at(day).subquery()
    rows = session.execute(
        sa.select(at_day.c.account, accounts.c.full_name, at_day.c.balance)
        .outerjoin(accounts, accounts.c.public_id == at_day.c.account)
        .where(at_day.c.balance < 0)
        .order_by(at_day.c.balance, accounts.c.full_name)
    )
    return [InTheRed(account, name, int(balance)) for account, name, balance in rows]


@dataclass(frozen=True)
class ExpensiveTask:
    public_id: str
    title: str | None
    jira_id: str | None
    completion_reward: int
    completed_at: datetime
    completed_day: date
    completed_by: str
    completed_by_name: str | None


def _with_details(public_ids):
    """The tasks of a subquery of ids, with who completed them."""
    t, a = tasks.c, accounts.c
    return (
        sa.select(
            t.public_id,
            t.title,
            t.jira_id,
            t.completion_reward,
            t.completed_at,
            t.completed_day,
            t.completed_by,
            a.full_name.label("completed_by_name"),
        )
        .outerjoin(accounts, a.public_id == t.completed_by)
        .where(t.public_id.in_(public_ids))
    )


def _expensive(row) -> ExpensiveTask:
    fields = ExpensiveTask.__dataclass_fields__
    return ExpensiveTask(**{name: row._mapping[name] for name in fields})


def _completed_between(start: date, end: date):
    t = tasks.c
    return sa.and_(t.completed_day.between(start, end), t.completion_reward.is_not(None))


# Among tasks with the same highest reward, the earliest completion wins, so the answer never
# depends on arrival order. The highest reward comes off the (completed_day, completion_reward)
# index first; only the tied tasks are then sorted.
TIE_BREAK = (tasks.c.completed_at, tasks.c.public_id)


def most_expensive_task(session: Session, start: date, end: date) -> ExpensiveTask | None:
    """The task with the highest completion reward among those completed from start to end."""
    t = tasks.c
    highest = sa.select(sa.func.max(t.completion_reward)).where(_completed_between(start, end))
    winner = (
        sa.select(t.public_id)
        .where(_completed_between(start, end), t.completion_reward == highest.scalar_subquery())
        .order_by(*TIE_BREAK)
        .limit(1)
    )
    row = session.execute(_with_details(winner.scalar_subquery())).first()
    return _expensive(row) if row else None


def most_expensive_by_day(
    session: Session, start: date, end: date
) -> dict[date, ExpensiveTask | None]:
    """The most expensive task of every day from start to end (None on days without one)."""
    t = tasks.c
    highest = (
        sa.select(t.completed_day, sa.func.max(t.completion_reward).label("reward"))
        .where(_completed_between(start, end))
        .group_by(t.completed_day)
        .subquery()
    )
    rank = sa.func.row_number().over(partition_by=t.completed_day, order_by=TIE_BREAK)
    tied = (
        sa.select(t.public_id, rank.label("rank"))
        .join(
            highest,
            sa.and_(
                highest.c.completed_day == t.completed_day,
                highest.c.reward == t.completion_reward,
            ),
        )
        .subquery()
    )
    winners = sa.select(tied.c.public_id).where(tied.c.rank == 1)
    found = {row.completed_day: _expensive(row) for row in session.execute(_with_details(winners))}
    return {day: found.get(day) for day in days(start, end)}


@dataclass(frozen=True)
class Today:
    day: date
    earnings: int
    in_the_red: list[InTheRed]
    most_expensive_today: ExpensiveTask | None
    most_expensive_this_week: ExpensiveTask | None
    most_expensive_this_month: ExpensiveTask | None
    week: tuple[date, date]
    month: tuple[date, date]

    @property
    def parrots_in_the_red(self) -> int:
        return len(self.in_the_red)


def today_figures(session: Session, today: date) -> Today:
    """The dashboard's headline: today's earnings, parrots in the red, most expensive tasks."""
    week, month = this_week(today), this_month(today)
    return Today(
        day=today,
        earnings=management_earnings(session, today),
        in_the_red=who_is_in_the_red(session, today),
        most_expensive_today=most_expensive_task(session, today, today),
        most_expensive_this_week=most_expensive_task(session, *week),
        most_expensive_this_month=most_expensive_task(session, *month),
        week=week,
        month=month,
    )


@dataclass(frozen=True)
class RangeFigures:
    start: date
    end: date
    earnings_by_day: dict[date, int]
    most_expensive_by_day: dict[date, ExpensiveTask | None]
    most_expensive: ExpensiveTask | None

    @property
    def earnings(self) -> int:
        return sum(self.earnings_by_day.values())


def range_figures(session: Session, start: date, end: date) -> RangeFigures:
    """Earnings and the most expensive task per day of a range, and for the range as a whole."""
    by_day = most_expensive_by_day(session, start, end)
    candidates = [task for task in by_day.values() if task is not None]
    best = min(
        candidates,
        key=lambda task: (-task.completion_reward, task.completed_at, task.public_id),
        default=None,
    )
    return RangeFigures(start, end, earnings_by_day(session, start, end), by_day, best)
