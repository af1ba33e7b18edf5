"""Accounting's pure rules: prices, entry signs, day totals, billing days,
money shown as dollars. No database here."""

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

ASSIGN_FEE_DOLLARS = (10, 20)
COMPLETION_REWARD_DOLLARS = (20, 40)

_draw = random.SystemRandom()

# The sign of each kind of ledger entry: a fee and a payout take from the parrot's balance, a
# reward adds to it.
SIGN = {"assign_fee": -1, "completion_reward": 1, "payout": -1}
# The company's total of the day that each kind of entry adds its size to (kept positive, as the
# business reads them), beside the count of entries.
DAY_TOTAL_OF_KIND = {
    "assign_fee": "fees_charged",
    "completion_reward": "rewards_paid",
    "payout": "payouts",
}
DAY_TOTALS = (*DAY_TOTAL_OF_KIND.values(), "entries")


@dataclass(frozen=True)
class Price:
    assign_fee: int  # cents
    completion_reward: int  # cents


def draw_price() -> Price:
    """A new task's price: whole dollars, fee 10..20 and reward 20..40, in cents."""
    return Price(
        assign_fee=_draw.randint(*ASSIGN_FEE_DOLLARS) * 100,
        completion_reward=_draw.randint(*COMPLETION_REWARD_DOLLARS) * 100,
    )


def entry_amount(kind: str, cents):
    """The amount an entry of this kind records for a price or payout of `cents` (a number, or
    a column in SQL): fees and payouts negative, rewards positive."""
    return SIGN[kind] * cents


def day_totals_of(entries: Iterable[tuple[date, str, int]]) -> dict[date, dict[str, int]]:
    """What new entries (billing day, kind, signed amount) add to their days' totals."""
    days: dict[date, dict[str, int]] = {}
    for day, kind, amount in entries:
        totals = days.setdefault(day, dict.fromkeys(DAY_TOTALS, 0))
        totals[DAY_TOTAL_OF_KIND[kind]] += SIGN[kind] * amount
        totals["entries"] += 1
    return days


def billing_day_of(moment: datetime, timezone: str | ZoneInfo) -> date:
    """The calendar day of a moment in the company's time zone."""
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    return moment.astimezone(zone).date()


@dataclass(frozen=True)
class CloseSchedule:
    """When billing days close: every day at `at` o'clock in the company's time zone."""

    timezone: str
    at: time

    def today(self, now: datetime) -> date:
        return billing_day_of(now, self.timezone)

    def due_at(self, day: date) -> datetime:
        """The moment the day's scheduled close runs (aware, in the company's zone)."""
        return datetime.combine(day, self.at, tzinfo=ZoneInfo(self.timezone))

    def is_early(self, day: date, now: datetime) -> bool:
        """Closing `day` at `now` comes before its scheduled close."""
        return now < self.due_at(day)
