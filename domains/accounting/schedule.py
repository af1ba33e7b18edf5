"""The daily close, scheduled in the worker processes (APScheduler, a background thread).

Several worker processes may each run it: the close pays each account at most once per billing
day, so the extra runs find nothing to do. It waits for the books first (`catching_up`); a run
that fails anyway is noted, shown on the operations page and retried every few minutes. Closes
that never ran (no worker up at their time: for a night or a whole weekend) are run once a
worker is back, by the same retry job or first thing in the next scheduled close, a day at a
time, each paying what its own day earned.
"""

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ates.database import Database, utcnow
from ates.settings import Settings
from domains.accounting import catching_up
from domains.accounting.day_close import close_day
from domains.accounting.rules import CloseSchedule, billing_day_of

log = logging.getLogger(__name__)
JOB_ID = "accounting.close_day"
RETRY_JOB_ID = "accounting.catch_up_closes"
RETRY_SECONDS = 120
# A due close still not recorded this long after its time never ran: no worker was up then (the
# scheduled run itself waits for the books for SCHEDULED_WAIT_SECONDS, well within this).
MISSED_AFTER = timedelta(minutes=10)
# A scheduled close waits this long for the books, then fails and is retried (within the
# retry interval, so two runs of one process never overlap).
SCHEDULED_WAIT_SECONDS = 100


def close_time(day_close_at: str) -> time:
    """`23:59` -> 23:59; anything else is a configuration error, raised at start."""
    try:
        hour, minute = (int(part) for part in day_close_at.split(":"))
        return time(hour, minute)
    except ValueError:
        raise ValueError(f"ATES_DAY_CLOSE_AT must be HH:MM, not {day_close_at!r}") from None


def close_schedule(day_close_at: str, timezone: str) -> CloseSchedule:
    return CloseSchedule(timezone, close_time(day_close_at))


def close_trigger(day_close_at: str, timezone: str) -> CronTrigger:
    """Every day at the close time, in the company's time zone."""
    at = close_time(day_close_at)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=ZoneInfo(timezone))


def next_close(day_close_at: str, timezone: str, now: datetime) -> datetime:
    """When the next scheduled close runs, after `now` (aware)."""
    return close_trigger(day_close_at, timezone).get_next_fire_time(None, now)


def day_to_close(now: datetime, day_close_at: str, timezone: str) -> date:
    """The billing day of the latest scheduled close time at or before `now`.

    A run that starts late (a busy or restarted worker) still closes the day it was due for,
    not the next one.
    """
    today = billing_day_of(now, timezone)
    local_now = now.astimezone(ZoneInfo(timezone)).time()
    return today if local_now >= close_time(day_close_at) else today - timedelta(days=1)


def run_scheduled_close(db: Database, day_close_at: str, timezone: str) -> None:
    """Close the day whose scheduled close is due (see `day_to_close`), after any earlier day
    whose close never ran (the workers came back just before this one), oldest first."""
    due = day_to_close(utcnow(), day_close_at, timezone)
    with db.reading() as session:
        days = catching_up.never_closed(session, due) or [due]
    for day in days:
        if not close_scheduled(db, day):
            return


def catch_up_closes(
    db: Database, day_close_at: str, timezone: str, now: datetime | None = None
) -> None:
    """Close again every day whose scheduled close failed, and every due day whose close never
    ran (no worker was up), oldest first: each pays what its own day earned (`amounts_due`).
    Stops at the first that fails, so the days still close in order on the next try."""
    now = now or utcnow()
    due = day_to_close(now, day_close_at, timezone)
    due_at = datetime.combine(due, close_time(day_close_at), tzinfo=ZoneInfo(timezone))
    with db.reading() as session:
        days = set(catching_up.failed_closes(session))
        if now - due_at > MISSED_AFTER:
            missed = catching_up.never_closed(session, due)
            if missed:
                log.warning("the scheduled closes of %s never ran; closing them now", missed)
            days.update(missed)
    for day in sorted(days):
        if not close_scheduled(db, day):
            return


def close_scheduled(db: Database, day: date) -> bool:
    """Close `day` once the books caught up; on failure note it for the operations page (the
    retry job tries again) and return False. Never raises: the scheduler's thread must live
    on."""

    def close(session, now):
        catching_up.forget_failed_close(session, day)
        return close_day(session, day, now)

    try:
        result = catching_up.close_once_caught_up(db, close, SCHEDULED_WAIT_SECONDS)
    except Exception as error:
        log.exception("the scheduled close of %s failed; retrying every %d s", day, RETRY_SECONDS)
        try:
            with db.transaction() as session:
                catching_up.note_failed_close(session, day, error, utcnow())
        except Exception:
            log.exception("could not note the failed close of %s", day)
        return False
    log.info(
        "closed %s: paid %d parrots %d cents, %d waiting for an e-mail",
        day,
        result.paid,
        result.total,
        result.waiting_for_email,
    )
    return True


def start_scheduler(db: Database, settings: Settings) -> BackgroundScheduler:
    """Start the daily close in this process; returns the scheduler (call `.shutdown()`)."""
    scheduler = BackgroundScheduler(timezone=ZoneInfo(settings.timezone))
    scheduler.add_job(
        run_scheduled_close,
        close_trigger(settings.day_close_at, settings.timezone),
        args=(db, settings.day_close_at, settings.timezone),
        id=JOB_ID,
        coalesce=True,
        misfire_grace_time=3600,
        replace_existing=True,
    )
    scheduler.add_job(
        catch_up_closes,
        IntervalTrigger(seconds=RETRY_SECONDS),
        args=(db, settings.day_close_at, settings.timezone),
        id=RETRY_JOB_ID,
        coalesce=True,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler
