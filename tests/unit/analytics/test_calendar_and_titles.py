"""The company calendar and v1 titles, as analytics reads them."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domains.analytics.clock import days, local_day, this_month, this_week
from outbox.contracts.titles import split_jira_id


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("[UBERPOP-42] Feed the parrots", ("Feed the parrots", "UBERPOP-42")),
        ("Feed the parrots [UBERPOP-42]", ("Feed the parrots", "UBERPOP-42")),
        ("Feed [ UBERPOP-7 ] the parrots", ("Feed the parrots", "UBERPOP-7")),
        ("Feed the parrots", ("Feed the parrots", None)),
        ("[not a jira id] Feed", ("[not a jira id] Feed", None)),
        ("[UBERPOP-42]", ("[UBERPOP-42]", "UBERPOP-42")),
    ],
)
def test_a_v1_title_gives_up_its_jira_id(title, expected):
    assert split_jira_id(title) == expected


def test_a_completion_late_in_the_utc_evening_falls_on_the_next_local_day():
    moment = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    assert local_day(moment, ZoneInfo("Europe/Moscow")) == date(2026, 3, 3)
    assert local_day(moment, ZoneInfo("UTC")) == date(2026, 3, 2)


def test_this_week_starts_on_monday_and_this_month_on_the_first():
    tuesday = date(2026, 3, 3)
    assert this_week(tuesday) == (date(2026, 3, 2), tuesday)
    assert this_week(date(2026, 3, 2)) == (date(2026, 3, 2), date(2026, 3, 2))
    assert this_month(tuesday) == (date(2026, 3, 1), tuesday)
    assert days(date(2026, 2, 27), date(2026, 3, 1)) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ]
