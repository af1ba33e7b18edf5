"""Accounting's pure rules and the schedule of the daily close."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ates.settings import load_settings
from domains.accounting.rules import (
    billing_day_of,
    day_totals_of,
    draw_price,
    entry_amount,
)
from domains.accounting.schedule import (
    RETRY_SECONDS,
    close_time,
    day_to_close,
    next_close,
    start_scheduler,
)
from outbox.contracts.titles import split_jira_id


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("[UBERPOP-42] Feed the parrots", ("Feed the parrots", "UBERPOP-42")),
        ("Feed the parrots [UBERPOP-42]", ("Feed the parrots", "UBERPOP-42")),
        ("  [ UBERPOP-7 ]  Clean", ("Clean", "UBERPOP-7")),
        ("Feed the parrots", ("Feed the parrots", None)),
        ("[not a jira id] Sing", ("[not a jira id] Sing", None)),
        ("[UBERPOP-1]", ("[UBERPOP-1]", "UBERPOP-1")),
    ],
)
def test_a_v1_title_gives_up_its_jira_id(title, expected):
    assert split_jira_id(title) == expected


def test_a_price_is_whole_dollars_in_cents_within_its_ranges():
    prices = [draw_price() for _ in range(500)]
    assert {p.assign_fee for p in prices} == {d * 100 for d in range(10, 21)}
    assert {p.completion_reward for p in prices} == {d * 100 for d in range(20, 41)}


def test_a_fee_and_a_payout_take_from_the_balance_and_a_reward_adds_to_it():
    assert entry_amount("assign_fee", 1500) == -1500
    assert entry_amount("completion_reward", 3000) == 3000
    assert entry_amount("payout", 2500) == -2500


def test_the_day_totals_count_each_kind_positive_on_its_own_day():
    day, next_day = date(2026, 11, 25), date(2026, 11, 26)
    entries = [
        (day, "assign_fee", -1500),
        (day, "assign_fee", -1000),
        (day, "completion_reward", 3000),
        (next_day, "payout", -500),
    ]
    assert day_totals_of(entries) == {
        day: {"fees_charged": 2500, "rewards_paid": 3000, "payouts": 0, "entries": 3},
        next_day: {"fees_charged": 0, "rewards_paid": 0, "payouts": 500, "entries": 1},
    }


def test_the_billing_day_is_the_calendar_day_in_the_company_time_zone():
    moment = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)
    assert billing_day_of(moment, "UTC") == date(2026, 11, 25)
    assert billing_day_of(moment, "Europe/Moscow") == date(2026, 11, 26)
    assert billing_day_of(moment, "America/New_York") == date(2026, 11, 25)


def test_the_next_close_is_at_the_configured_local_time_of_the_company():
    before = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert next_close("23:59", "UTC", before) == datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    # 18:00 in Moscow (UTC+3) is 15:00 UTC; at 16:00 UTC today's has passed.
    after = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert next_close("18:00", "Europe/Moscow", after) == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def test_a_scheduled_close_closes_the_day_it_was_due_for_even_when_late():
    on_time = datetime(2026, 11, 25, 23, 59, 0, tzinfo=UTC)
    late = datetime(2026, 11, 26, 0, 20, tzinfo=UTC)
    assert day_to_close(on_time, "23:59", "UTC") == date(2026, 11, 25)
    assert day_to_close(late, "23:59", "UTC") == date(2026, 11, 25)
    assert day_to_close(datetime(2026, 11, 26, 21, 5, tzinfo=UTC), "00:05", "Asia/Tokyo") == (
        date(2026, 11, 27)
    )


def test_a_malformed_close_time_is_refused():
    with pytest.raises(ValueError, match="HH:MM"):
        close_time("midnight")


def test_the_worker_scheduler_holds_one_daily_close_at_the_configured_time_and_its_retries():
    settings = load_settings(
        database_url="sqlite://", secret_key="s", timezone="Europe/Moscow", day_close_at="18:30"
    )
    scheduler = start_scheduler(db=None, settings=settings)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        close, retries = jobs["accounting.close_day"], jobs["accounting.catch_up_closes"]
        local = close.next_run_time.astimezone(ZoneInfo("Europe/Moscow"))
        assert (close.id, local.hour, local.minute) == ("accounting.close_day", 18, 30)
        assert close.args[1:] == ("18:30", "Europe/Moscow")
        assert retries.args[1:] == ("18:30", "Europe/Moscow")
        assert retries.trigger.interval.total_seconds() == RETRY_SECONDS
    finally:
        scheduler.shutdown(wait=False)
