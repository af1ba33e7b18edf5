"""Money's plain-text spelling, shared by the payout e-mail, the CSV reports and the close."""

import pytest

from ates.money import dollars


@pytest.mark.parametrize(
    ("cents", "grouped", "plain"),
    [
        (4200, "42.00", "42.00"),
        (1, "0.01", "0.01"),
        (99, "0.99", "0.99"),
        (150050, "1,500.50", "1500.50"),
        (-1000, "-10.00", "-10.00"),
        (-123456789, "-1,234,567.89", "-1234567.89"),
        (0, "0.00", "0.00"),
    ],
)
def test_cents_are_spelled_as_dollars_with_or_without_thousands(cents, grouped, plain):
    assert dollars(cents) == grouped
    assert dollars(cents, grouped=False) == plain
