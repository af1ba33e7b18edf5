"""Analytics' figures equal accounting's for the same activity.

Two days at UberPopug through the real commands and handlers: accounts made by the auth
commands, tasks created, reassigned and completed by the tracker's commands, every event
delivered to every consumer, and accounting's day close at the end of each day. Then each
figure the admin reads in analytics is compared with the same figure taken from accounting's
own queries: management earnings per day, per-day totals over a range, every parrot's balance,
how many parrots are in the red, and the most expensive completed task.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from ates.database import utcnow
from domains.accounting import day_close as accounting_day_close
from domains.accounting import queries as accounting
from domains.analytics import queries as analytics
from domains.tracker import commands as tracker
from domains.tracker.tables import tasks

pytestmark = pytest.mark.usefixtures("session_worker")


@pytest.fixture
def parrots(make_account):
    return {
        "admin": make_account("admin", login="ara"),
        "manager": make_account("manager", login="mira"),
        "kesha": make_account("worker", login="kesha"),
        "gosha": make_account("worker", login="gosha"),
        "rio": make_account("worker", login="rio"),
        "pavel": make_account("accountant", login="pavel"),
    }


def company_today(runtime) -> date:
    return datetime.now(ZoneInfo(runtime.settings.timezone)).date()


def at(runtime, day: date, hour: int) -> datetime:
    zone = ZoneInfo(runtime.settings.timezone)
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def create_tasks(runtime, creators, titles):
    with runtime.db.transaction() as session:
        for creator, title in zip(creators, titles, strict=True):
            tracker.create_task(
                session, title=title, jira_id="", description="", created_by=creator.public_id
            )


def reassign(runtime) -> int:
    with runtime.db.transaction() as session:
        return tracker.reassign_open_tasks(session)


def complete_some(runtime, keep_open=frozenset(), every: int = 2) -> int:
    """Every `every`-th open task is completed by its assignee (unless they are in keep_open)."""
    with runtime.db.transaction() as session:
        open_tasks = session.execute(
            sa.select(tasks.c.public_id, tasks.c.assignee)
            .where(tasks.c.status == "open")
            .order_by(tasks.c.id)
        ).all()
        done = 0
        for number, task in enumerate(open_tasks):
            if number % every == 0 and task.assignee not in keep_open:
                tracker.complete_task(session, task=task.public_id, by=task.assignee)
                done += 1
        return done


def close(runtime, day: date):
    with runtime.db.transaction() as session:
        return accounting_day_close.close_day(session, day, utcnow())


def a_day(runtime, deliver, parrots, day_titles, keep_open):
    """Tasks created by the manager and two workers, three Reassign presses with completions
    between them, every event delivered after each step."""
    creators = [parrots["manager"], parrots["kesha"], parrots["gosha"]]
    create_tasks(runtime, creators * (len(day_titles) // 3), day_titles)
    deliver()
    for _ in range(3):
        reassign(runtime)
        deliver()
        complete_some(runtime, keep_open)
        deliver()


def assert_figures_agree(runtime, days: list[date]) -> dict:
    """Every figure analytics shows equals accounting's, for each day and the range."""
    start, end = min(days), max(days)
    with runtime.db.transaction() as session:
        books_days = {d.billing_day: d for d in accounting.day_totals(session, start, end)}
        assert set(books_days) == set(days)
        earnings = analytics.earnings_by_day(session, start, end)
        for day in days:
            books = accounting.totals_of_day(session, day)
            assert books == books_days[day]
            assert analytics.management_earnings(session, day) == books.management_earnings
            assert earnings[day] == books.management_earnings
            kinds = analytics.totals_by_kind(session, day)
            assert (
                -kinds["assign_fee"],
                kinds["completion_reward"],
                -kinds["payout"],
            ) == (books.fees_charged, books.rewards_paid, books.payouts)
        figures = analytics.range_figures(session, start, end)
        assert figures.earnings == sum(d.management_earnings for d in books_days.values())

        books_balances = {b.account_id: b.balance for b in accounting.balances(session)}
        analytics_balances = analytics.balances_at(session, end)
        for account in books_balances.keys() | analytics_balances.keys():
            assert books_balances.get(account, 0) == analytics_balances.get(account, 0), account
        in_the_red = sum(1 for balance in books_balances.values() if balance < 0)
        assert analytics.parrots_in_the_red(session, end) == in_the_red

        for period in [(day, day) for day in days] + [(start, end)]:
            best = analytics.most_expensive_task(session, *period)
            rewards = [
                entry
                for entry in accounting.stream_ledger(session, *period)
                if entry.kind == "completion_reward"
            ]
            if not rewards:
                assert best is None
                continue
            highest = max(entry.amount for entry in rewards)
            winners = {entry.task_id: entry for entry in rewards if entry.amount == highest}
            assert best is not None and best.completion_reward == highest
            assert best.public_id in winners
            assert best.title == winners[best.public_id].title
            assert best.completed_by == winners[best.public_id].account_id
    return {"balances": books_balances, "in_the_red": in_the_red, "days": books_days}


def test_analytics_figures_equal_accountings_after_two_days_of_work(
    runtime, deliver, parrots, monkeypatch
):
    today = company_today(runtime)
    yesterday = today - timedelta(days=1)
    rio = {parrots["rio"].public_id}  # completes nothing: in the red for sure

    # Yesterday, on the tracker's clock: the work, then accounting's close of the day.
    monkeypatch.setattr(tracker, "utcnow", lambda: at(runtime, yesterday, 10))
    a_day(runtime, deliver, parrots, [f"Yesterday's chore {n}" for n in range(1, 7)], rio)
    monkeypatch.undo()
    closed = close(runtime, yesterday)
    deliver()
    first = assert_figures_agree(runtime, [yesterday])
    assert first["days"][yesterday].payouts == closed.total
    assert all(balance <= 0 for balance in first["balances"].values())
    assert first["in_the_red"] >= 1

    # Today: more work; the figures agree before and after today's close.
    a_day(runtime, deliver, parrots, [f"Today's chore {n}" for n in range(1, 7)], rio)
    before = assert_figures_agree(runtime, [yesterday, today])
    assert before["days"][today].rewards_paid > 0
    closed = close(runtime, today)
    deliver()
    after = assert_figures_agree(runtime, [yesterday, today])
    assert after["days"][today].payouts == closed.total
    assert after["days"][today].management_earnings == before["days"][today].management_earnings
    assert after["in_the_red"] == before["in_the_red"]
    assert after["balances"] == {
        account: min(balance, 0) for account, balance in before["balances"].items()
    }
