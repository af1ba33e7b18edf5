"""The company's calendar: billing days, weeks and months in its time zone."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ates.settings import current_settings


def company_zone() -> ZoneInfo:
    """The zone of the running process's settings (web, worker or test)."""
    return ZoneInfo(current_settings().timezone)


def local_day(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The company's calendar day of an aware moment."""
    return moment.astimezone(zone or company_zone()).date()


def this_week(today: date) -> tuple[date, date]:
    """Monday of today's week up to today."""
    return today - timedelta(days=today.weekday()), today


def this_month(today: date) -> tuple[date, date]:
    """The first of today's month up to today."""
    return today.replace(day=1), today


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
