"""`flask accounting close-day`."""

from ates.database import utcnow
from domains.accounting.rules import billing_day_of
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
    assert f"closed {day}: paid 0 parrot(s) $0.00" in again.output
    assert balances(runtime)[kesha] == 0
    assert [p["amount"] for p in published(runtime, "payment.made")] == [earned]


def test_close_day_refuses_a_malformed_date(app, runtime):
    result = app.test_cli_runner().invoke(args=["accounting", "close-day", "--date", "25.11"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_close_day_without_a_date_closes_today_in_the_company_time_zone(app, runtime):
    result = app.test_cli_runner().invoke(args=["accounting", "close-day"])
    assert result.exit_code == 0, result.output
    today = billing_day_of(utcnow(), runtime.settings.timezone)
    assert f"closed {today.isoformat()}: paid 0 parrot(s)" in result.output
