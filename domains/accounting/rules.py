"""Accounting's pure rules: prices, Jira ids in old titles, billing days. No database here."""

import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

ASSIGN_FEE_DOLLARS = (10, 20)
COMPLETION_REWARD_DOLLARS = (20, 40)
JIRA_IN_TITLE = re.compile(r"\s*\[\s*([A-Z][A-Z0-9]*-[0-9]+)\s*\]\s*")

_draw = random.SystemRandom()


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


def split_jira_id(title: str) -> tuple[str, str | None]:
    """`[UBERPOP-42] Feed the parrots` -> (`Feed the parrots`, `UBERPOP-42`) for task.created v1."""
    match = JIRA_IN_TITLE.search(title)
    if not match:
        return title.strip(), None
    rest = (title[: match.start()] + " " + title[match.end() :]).strip()
    return (rest or title.strip()), match.group(1)


def billing_day_of(moment: datetime, timezone: str | ZoneInfo) -> date:
    """The calendar day of a moment in the company's time zone."""
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    return moment.astimezone(zone).date()


def dollars(cents: int) -> str:
    """Cents shown as dollars: 150050 -> `1,500.50`, -1000 -> `-10.00`."""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}"
