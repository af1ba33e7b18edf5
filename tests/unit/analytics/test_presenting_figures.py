"""Analytics figures as the admin reads them, and the ranges the admin may ask for."""

from datetime import date

import pytest

from web.analytics import MAX_RANGE_DAYS, parse_range
from web.analytics.present import DASH, earnings_chart, range_label

TODAY = date(2026, 3, 3)


def test_periods_read_like_the_business_writes_them():
    assert range_label(date(2026, 3, 3), date(2026, 3, 3)) == "03.03"
    assert range_label(date(2026, 3, 1), date(2026, 3, 3)) == f"01{DASH}03.03"
    assert range_label(date(2026, 2, 28), date(2026, 3, 3)) == f"28.02{DASH}03.03"
    assert range_label(date(2025, 12, 30), date(2026, 1, 2)) == f"30.12.2025{DASH}02.01.2026"


def test_no_range_means_the_last_seven_days():
    assert parse_range({}, TODAY) == (date(2026, 2, 25), TODAY, {})
    assert parse_range({"start": "2026-03-01", "end": "2026-03-02"}, TODAY) == (
        date(2026, 3, 1),
        date(2026, 3, 2),
        {},
    )


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"start": "yesterday"}, "start", "“yesterday” is not a day; write it as YYYY-MM-DD."),
        ({"end": "2026-02-30"}, "end", "“2026-02-30” is not a day; write it as YYYY-MM-DD."),
        ({"start": "2026-03-03", "end": "2026-03-01"}, "end", "The range ends before it starts."),
        ({"end": "0001-01-02"}, "end", "That day is too early; the books start in 2000."),
        (
            {"start": "2025-01-01", "end": "2026-03-03"},
            "end",
            f"A range spans at most {MAX_RANGE_DAYS} days; this one spans 427.",
        ),
    ],
)
def test_a_bad_range_is_refused_with_a_message_for_its_field(args, field, message):
    assert parse_range(args, TODAY)[2] == {field: message}


def test_the_chart_puts_gains_above_and_losses_below_the_zero_line():
    chart = earnings_chart({date(2026, 3, 1): 1500, date(2026, 3, 2): -2600, date(2026, 3, 3): 0})
    gain, loss, quiet = chart.bars
    assert gain.y + gain.height == pytest.approx(chart.zero_y)
    assert loss.y == pytest.approx(chart.zero_y) and loss.height > gain.height
    assert quiet.height == 0
    assert (chart.top_cents, chart.bottom_cents) == (1500, -2600)
    assert gain.x < loss.x < quiet.x <= chart.width - quiet.width
