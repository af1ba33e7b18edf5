"""Reading the query string the same way on every page: page numbers, days and ranges of days."""

from datetime import date, timedelta

from flask import abort
from flask_babel import gettext as _

PAGE_DIGITS = 9  # a page number beyond any list; a longer one is a typo or a probe
EARLIEST_DAY = date(2000, 1, 1)  # no books before aTES; also keeps day arithmetic in range


def page_number(args) -> int:
    """The `page` of the query string (1 when absent); anything but a page number is a clear 400."""
    raw = (args.get("page") or "1").strip()
    if not raw.isdigit() or int(raw) < 1 or len(raw) > PAGE_DIGITS:
        abort(
            400, description=_("Page “%(raw)s” is not a page number (1, 2, 3, ...).", raw=raw[:20])
        )
    return int(raw)


def day(args, field: str, errors: dict[str, str]) -> date | None:
    """The day in `field` (None when absent); what is wrong with it goes into `errors`."""
    raw = (args.get(field) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[field] = _("“%(raw)s” is not a day; write it as YYYY-MM-DD.", raw=raw[:40])
        return None
    if value < EARLIEST_DAY:
        errors[field] = _("That day is too early; the books start in 2000.")
        return None
    return value


def date_range(
    args, today: date, *, default_days: int, max_days: int
) -> tuple[date, date, dict[str, str]]:
    """`start`..`end` (default: the last `default_days` days), and what is wrong with it."""
    errors: dict[str, str] = {}
    start, end = day(args, "start", errors), day(args, "end", errors)
    end = end or today
    start = start or end - timedelta(days=default_days - 1)
    if not errors:
        if end < start:
            errors["end"] = _("The range ends before it starts.")
        elif (length := (end - start).days + 1) > max_days:
            errors["end"] = _(
                "A range spans at most %(most)d days; this one spans %(length)d.",
                most=max_days,
                length=length,
            )
    return start, end, errors
