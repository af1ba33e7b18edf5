"""`flask accounting close-day`."""

import time

from ates.database import utcnow
from domains.accounting.schedule import close_schedule, day_to_close
from tests.integration.accounting.streams import (
    MOMENT,
    account_event,
    balances,
    feed,
    new_id,
    published,
    task_completed,
)


def test_close_day_from_the_cli_pays_once_and_says_what_it_did(app, runtime):
    kesha = new_id()
    feed(runtime, [account_event(kesha, login="kesha"), task_completed(new_id(), kesha)])
    earned = balances(runtime)[kesha]
    runner = app.test_cli_runner()
    day = MOMENT.date().isoformat()
    first = runner.invoke(args=["accounting", "close-day", "--date", day])
    again = runner.invoke(args=["accounting", "close-day", "--date", day])
    assert first.exit_code == 0, first.output
    assert f"closed {day}: paid 1 parrot(s) ${earned // 100}.00" in first.output
    assert f"{day} was already closed: nothing was paid again" in again.output
    assert balances(runtime)[kesha] == 0
    assert [p["amount"] for p in published(runtime, "payment.made")] == [earned]


def test_close_day_refuses_a_malformed_date(app, runtime):
    result = app.test_cli_runner().invoke(args=["accounting", "close-day", "--date", "25.11"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_close_day_without_a_date_closes_the_day_whose_scheduled_close_is_due(app, runtime):
    settings = runtime.settings
    result = app.test_cli_runner().invoke(args=["accounting", "close-day"])
    assert result.exit_code == 0, result.output
    due = day_to_close(utcnow(), settings.day_close_at, settings.timezone)
    assert f"closed {due.isoformat()}: paid 0 parrot(s)" in result.output


def test_closing_today_before_its_time_takes_early(app, runtime):
    settings = runtime.settings
    schedule = close_schedule(settings.day_close_at, settings.timezone)
    if not schedule.is_early(schedule.today(utcnow()), utcnow()):
        time.sleep(61)  # the minute of the scheduled close itself: wait for the next day
    today = schedule.today(utcnow())
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["accounting", "close-day", "--date", today.isoformat()])
    assert refused.exit_code != 0 and "--early" in refused.output
    early = runner.invoke(args=["accounting", "close-day", "--date", today.isoformat(), "--early"])
    assert early.exit_code == 0, early.output
    assert f"closed {today.isoformat()}: paid 0 parrot(s)" in early.output
