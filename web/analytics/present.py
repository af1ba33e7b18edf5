"""How analytics figures read on the page: day labels and the earnings chart."""

from dataclasses import dataclass
from datetime import date

DASH = "\N{EN DASH}"


def day_label(day: date) -> str:
    return day.strftime("%d.%m")


def range_label(start: date, end: date) -> str:
    """03.03 for one day, 01-03.03 within a month, 28.02-03.03 within a year (en dashes)."""
    if start == end:
        return day_label(start)
    if start.year != end.year:
        return f"{start:%d.%m.%Y}{DASH}{end:%d.%m.%Y}"
    if start.month != end.month:
        return f"{start:%d.%m}{DASH}{end:%d.%m}"
    return f"{start:%d}{DASH}{end:%d.%m}"


@dataclass(frozen=True)
class Bar:
    day: date
    cents: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    zero_y: float
    top_cents: int
    bottom_cents: int
    bars: list[Bar]
    label_every: int


def earnings_chart(by_day: dict[date, int], width: int = 720, height: int = 240) -> Chart:
    """Bar geometry for an SVG: gains above the zero line, losses below, scaled to fit."""
    pad_top, pad_bottom, pad_left = 20, 40, 64  # room for values, day labels, the axis
    top = max([0, *by_day.values()])
    bottom = min([0, *by_day.values()])
    span = (top - bottom) or 1
    plot_height = height - pad_top - pad_bottom
    zero_y = pad_top + plot_height * top / span
    slot = (width - pad_left) / max(len(by_day), 1)
    bars = []
    for n, (day, cents) in enumerate(by_day.items()):
        bar_height = plot_height * abs(cents) / span
        bars.append(
            Bar(
                day=day,
                cents=cents,
                x=round(pad_left + n * slot + slot * 0.1, 2),
                y=round(zero_y - bar_height if cents > 0 else zero_y, 2),
                width=round(slot * 0.8, 2),
                height=round(bar_height, 2),
            )
        )
    return Chart(width, height, round(zero_y, 2), top, bottom, bars, max(1, len(bars) // 12))
