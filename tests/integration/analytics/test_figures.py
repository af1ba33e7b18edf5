"""Analytics figures from a built stream of events are exactly right, in any order, any number
of times."""

import random
from datetime import date

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domains.analytics import queries
from domains.analytics.tables import accounts, balances, ledger_entries, tasks
from outbox.tables import inbox
from tests.integration.analytics.stream import (
    BALANCES_TODAY,
    EARNINGS,
    KESHA,
    RITA,
    T1,
    T2,
    T3,
    T4,
    T5,
    T6,
    T7,
    TODAY,
    four_days,
)

FIRST = date(2026, 2, 28)
TITLES = [
    (T2, "Clean the cage", "UBERPOP-2"),
    (T3, "Count the seeds", None),
    (T1, "Feed the parrots", "UBERPOP-1"),
    (T6, "Fly around", None),
    (T4, "Polish the perch", None),
    (T5, "Sing at dawn", "UBERPOP-5"),
    (T7, "Wash the bowls", None),
]


def figures(runtime) -> dict:
    """Every figure the dashboard shows for the built days, in plain values."""
    with runtime.db.transaction() as session:
        today = queries.today_figures(session, TODAY)
        whole = queries.range_figures(session, FIRST, TODAY)
        names = dict(session.execute(sa.select(accounts.c.public_id, accounts.c.full_name)).all())
        titles = session.execute(
            sa.select(tasks.c.public_id, tasks.c.title, tasks.c.jira_id).order_by(tasks.c.title)
        ).all()
        return {
            "earnings": whole.earnings_by_day,
            "red_today": today.parrots_in_the_red,
            "red_yesterday": queries.parrots_in_the_red(session, date(2026, 3, 2)),
            "balances": queries.balances_at(session, TODAY),
            "today": today.most_expensive_today,
            "week": today.most_expensive_this_week,
            "month": today.most_expensive_this_month,
            "by_day": whole.most_expensive_by_day,
            "range": whole.most_expensive,
            "names": names,
            "titles": [tuple(row) for row in titles],
        }


def test_the_dashboard_figures_of_a_built_day_of_events_are_exactly_right(runtime, apply):
    apply("analytics", *four_days().messages())
    got = figures(runtime)
    assert got["earnings"] == EARNINGS
    assert got["balances"] == BALANCES_TODAY
    assert (got["red_today"], got["red_yesterday"]) == (2, 1)  # Gosha and Rita; then Kesha
    assert (got["today"].public_id, got["today"].completion_reward) == (T1, 2800)
    assert got["today"].completed_by == KESHA
    assert got["today"].completed_by_name == "Kesha Popugaev"
    assert (got["today"].title, got["today"].jira_id) == ("Feed the parrots", "UBERPOP-1")
    assert (got["week"].public_id, got["week"].completion_reward) == (T2, 3800)
    assert got["week"].completed_by_name == "Gosha Popugaev"  # the newer account version
    assert got["month"].public_id == T2  # T5 (39$) was in February
    assert {day: t.public_id for day, t in got["by_day"].items()} == {
        date(2026, 2, 28): T5,
        date(2026, 3, 1): T3,
        date(2026, 3, 2): T2,
        date(2026, 3, 3): T1,
    }
    assert got["by_day"][date(2026, 3, 1)].completed_by == RITA
    assert (got["range"].public_id, got["range"].completion_reward) == (T5, 3900)
    with runtime.db.transaction() as session:
        assert queries.management_earnings(session, TODAY) == 100
        assert queries.most_expensive_task(session, date(2026, 3, 4), date(2026, 3, 9)) is None


def test_payouts_are_not_earnings_and_uncompleted_tasks_are_never_the_most_expensive(
    runtime, apply
):
    stream = four_days()
    stream.entry(KESHA, "payout", -100, "2026-03-03")
    apply("analytics", *stream.messages())
    with runtime.db.transaction() as session:
        assert queries.management_earnings(session, TODAY) == EARNINGS[TODAY]
        assert queries.totals_by_kind(session, TODAY) == {
            "assign_fee": -1200 - 1700,
            "completion_reward": 2800,
            "payout": -100,
        }
        assert queries.balances_at(session, TODAY)[KESHA] == 0
        assert queries.parrots_in_the_red(session, TODAY) == 2
        best = queries.most_expensive_task(session, FIRST, TODAY)
    assert best.completion_reward == 3900  # not T4's 40$: nobody completed T4


def test_task_created_v1_and_v2_both_give_a_title_and_a_jira_id(runtime, apply):
    apply("analytics", *four_days().messages())
    titles = figures(runtime)["titles"]
    assert (T1, "Feed the parrots", "UBERPOP-1") in titles  # v1: split from the title
    assert (T2, "Clean the cage", "UBERPOP-2") in titles  # v2: its own field
    assert titles == TITLES


def _reset(runtime) -> None:
    with runtime.db.transaction() as session:
        for table in (accounts, tasks, ledger_entries, balances):
            session.execute(table.delete())
        session.execute(inbox.delete().where(inbox.c.consumer == "analytics"))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.randoms(use_true_random=False), batch=st.integers(min_value=1, max_value=12))
def test_the_same_stream_shuffled_and_duplicated_gives_the_same_figures(
    runtime, apply, seed, batch
):
    _reset(runtime)
    stream = four_days()
    messages = stream.messages()
    # Redeliveries (same event id) and republished copies (a new event id, the same facts).
    copies = four_days_copies(stream, seed)
    everything = messages + seed.sample(messages, k=len(messages) // 2) + copies
    seed.shuffle(everything)
    for start in range(0, len(everything), batch):
        apply("analytics", *everything[start : start + batch])
    got = figures(runtime)
    assert got["earnings"] == EARNINGS and got["balances"] == BALANCES_TODAY
    with runtime.db.transaction() as session:  # the running balances agree with the entries
        e = ledger_entries.c
        from_entries = session.execute(
            sa.select(e.account, sa.func.sum(e.amount)).group_by(e.account)
        )
        assert queries.balances_at(session, date.max) == {a: int(s) for a, s in from_entries}
    assert (got["red_today"], got["red_yesterday"]) == (2, 1)
    assert [got[p].public_id for p in ("today", "week", "month", "range")] == [T1, T2, T2, T5]
    assert [t.public_id for t in got["by_day"].values()] == [T5, T3, T2, T1]
    assert got["week"].completed_by_name == "Gosha Popugaev"
    assert got["titles"] == TITLES


def four_days_copies(stream, rng: random.Random) -> list[dict]:
    """Some events published again under new event ids (a producer retrying after a crash)."""
    again = [event for event in stream.events if rng.random() < 0.3]
    copy = type(stream)(events=again)
    return copy.messages()
