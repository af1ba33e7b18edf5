"""The day close pays for the whole day: pressed or scheduled while the books lag, it waits until
accounting has applied every event published before it (bounded, and says so), retries
transient database errors, and a scheduled close that fails is retried and shown to operators."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from ates.database import utcnow
from domains.accounting import catching_up, day_close, schedule
from domains.accounting.catching_up import BooksBehind, close_once_caught_up
from domains.accounting.rules import billing_day_of
from domains.accounting.tables import day_closes, ledger_entries, scheduled_close_failures
from outbox import Event, publish_events
from outbox.caught_up import unapplied
from outbox.consumers import apply_batch
from outbox.relay import Relay
from tests.integration.accounting.streams import (
    assert_the_books_add_up,
    balances,
    new_id,
    rows,
    task_assigned,
    task_completed,
    task_created,
)


class Deadlock(Exception):
    sqlstate = "40P01"


@pytest.fixture
def today():
    return billing_day_of(utcnow(), "UTC")


@pytest.fixture
def parrot(make_account):
    return make_account("worker")


def earn_unseen(runtime, parrot, tasks: int = 3, at=None) -> None:
    """The parrot's day of work (now, or `at`), published but not yet applied by accounting
    (workers busy)."""
    now = at or utcnow()
    messages = []
    for _ in range(tasks):
        task = new_id()
        messages += [
            task_created(task),
            task_assigned(task, parrot.public_id, at=now),
            task_completed(task, parrot.public_id, at=now),
        ]
    with runtime.db.transaction() as session:
        publish_events(session, [Event.from_message(m) for m in messages])


def behind(runtime) -> int:
    with runtime.db.reading() as session:
        return unapplied(session, "accounting", utcnow())


def closed_days(runtime) -> list:
    return [row.billing_day for row in rows(runtime, day_closes)]


def payouts(runtime) -> dict[str, int]:
    return {e.account_id: -e.amount for e in rows(runtime, ledger_entries) if e.kind == "payout"}


def earned(runtime) -> int:
    return sum(e.amount for e in rows(runtime, ledger_entries) if e.kind != "payout")


def close_today(today):
    return lambda session, now: day_close.close_day(session, today, now)


def test_a_close_pressed_while_the_books_lag_waits_and_pays_what_the_day_earned(
    runtime, parrot, deliver, today
):
    earn_unseen(runtime, parrot)
    assert behind(runtime) == 9 and balances(runtime)[parrot.public_id] == 0
    catching_up_later = threading.Timer(1.0, deliver)
    catching_up_later.start()
    try:
        result = close_once_caught_up(runtime.db, close_today(today), wait_seconds=60)
    finally:
        catching_up_later.join()

    assert earned(runtime) > 0 and result.paid == 1 and result.total == earned(runtime)
    assert payouts(runtime) == {parrot.public_id: earned(runtime)}
    assert balances(runtime)[parrot.public_id] == 0
    assert_the_books_add_up(runtime)


def test_a_close_gives_up_after_its_wait_says_why_and_pays_nothing(runtime, parrot, today):
    earn_unseen(runtime, parrot, tasks=1)

    with pytest.raises(BooksBehind, match=r"still catching up: 3 event\(s\)") as raised:
        close_once_caught_up(runtime.db, close_today(today), wait_seconds=0.5)

    assert "nothing was paid" in str(raised.value)
    assert closed_days(runtime) == [] and payouts(runtime) == {}


def test_events_relayed_but_not_yet_applied_hold_the_close_too(runtime, parrot, today):
    earn_unseen(runtime, parrot, tasks=2)
    sent = []  # relayed, but the workers have not got to them yet
    Relay(runtime.db, lambda consumer, messages: sent.append((consumer, messages))).drain()
    assert behind(runtime) == 6

    with pytest.raises(BooksBehind, match=r"6 event\(s\)"):
        close_once_caught_up(runtime.db, close_today(today), wait_seconds=0.5)
    assert closed_days(runtime) == []

    for consumer, messages in sent:
        if consumer == "accounting":
            apply_batch(runtime.db, consumer, messages)
    result = close_once_caught_up(runtime.db, close_today(today), wait_seconds=0.5)
    assert result.paid == 1 and payouts(runtime) == {parrot.public_id: earned(runtime)}


def test_a_dead_lettered_event_does_not_hold_the_close_forever(runtime, parrot, deliver, today):
    task = new_id()
    malformed = task_completed(task, parrot.public_id) | {"data": {"public_id": task}}
    with runtime.db.transaction() as session:
        publish_events(session, [Event.from_message(malformed)])  # fails accounting's schema
    deliver()

    close_once_caught_up(runtime.db, close_today(today), wait_seconds=5)

    assert closed_days(runtime) == [today]


def test_a_close_that_meets_a_deadlock_runs_again_whole_and_pays_once(
    runtime, parrot, deliver, today, monkeypatch
):
    monkeypatch.setattr("outbox.transient.FIRST_PAUSE_SECONDS", 0.001)
    earn_unseen(runtime, parrot)
    deliver()
    attempts = []

    def close(session, now):
        result = day_close.close_day(session, today, now)
        attempts.append(result)
        if len(attempts) == 1:  # the first attempt's payouts are rolled back with it
            raise OperationalError("UPDATE accounting.ledger_accounts ...", {}, Deadlock())
        return result

    result = close_once_caught_up(runtime.db, close, wait_seconds=5)

    assert len(attempts) == 2 and result.paid == 1
    assert len(payouts(runtime)) == 1 and balances(runtime)[parrot.public_id] == 0
    assert_the_books_add_up(runtime)


def test_the_close_button_says_the_books_are_behind_and_closes_nothing(
    client, login_as, csrf_token, runtime, make_account, today, monkeypatch
):
    monkeypatch.setattr("web.accounting.BUTTON_WAIT_SECONDS", 0.3)
    login_as("accountant")
    earn_unseen(runtime, make_account("worker"), tasks=1)

    response = client.post(
        "/accounting/close",
        data={"day": today.isoformat(), "early": "yes"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token()},
    )

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "still catching up: 3 events published before the close are not applied" in page
    assert "nothing was paid" in page
    assert closed_days(runtime) == []


def test_a_failed_scheduled_close_is_shown_to_operators_and_retried_until_it_closes(
    client, login_as, runtime, parrot, deliver, today, monkeypatch
):
    monkeypatch.setattr(schedule, "SCHEDULED_WAIT_SECONDS", 0.3)
    login_as("admin")
    earn_unseen(runtime, parrot)

    schedule.close_scheduled(runtime.db, today)  # the books lag: the close does not run
    schedule.close_scheduled(runtime.db, today)

    assert closed_days(runtime) == []
    page = client.get("/operations").get_data(as_text=True)
    assert "Scheduled close retrying" in page and today.isoformat() in page
    assert "BooksBehind" in page and "still catching up" in page
    assert [row.attempts for row in rows(runtime, scheduled_close_failures)] == [2]

    deliver()
    schedule.catch_up_closes(runtime.db, "23:59", "UTC")

    assert closed_days(runtime) == [today] and rows(runtime, scheduled_close_failures) == []
    assert payouts(runtime) == {parrot.public_id: earned(runtime)} and earned(runtime) > 0
    with runtime.db.reading() as session:
        assert catching_up.failed_closes(session) == []
    page = client.get("/operations").get_data(as_text=True)
    assert "BooksBehind" not in page


def test_a_close_no_worker_was_up_for_runs_once_a_worker_is_back(runtime, parrot, deliver, today):
    earn_unseen(runtime, parrot)
    deliver()
    midnight = datetime.combine(today + timedelta(days=1), time(0, 0), tzinfo=UTC)

    def catch_up(minutes_after_midnight: int) -> None:
        now = midnight + timedelta(minutes=minutes_after_midnight)
        schedule.catch_up_closes(runtime.db, "23:59", "UTC", now=now)

    catch_up(-60)  # the day before: a company that started today has nothing to close yet
    catch_up(5)  # six minutes after its time the scheduled run may still be waiting for the books
    assert closed_days(runtime) == []

    catch_up(30)  # the worker came back at 00:30: the day it missed is closed, once
    catch_up(32)
    assert closed_days(runtime) == [today]
    assert payouts(runtime) == {parrot.public_id: earned(runtime)} and earned(runtime) > 0
    assert_the_books_add_up(runtime)


def test_closes_missed_over_a_weekend_each_pay_their_own_day_once_a_worker_is_back(
    runtime, parrot, deliver, today
):
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    for day in (days[0], days[2], today):  # nothing happened on the middle day
        earn_unseen(runtime, parrot, at=datetime.combine(day, time(12), tzinfo=UTC))
    deliver()
    earned_on: dict = {}
    for entry in rows(runtime, ledger_entries):
        earned_on[entry.billing_day] = earned_on.get(entry.billing_day, 0) + entry.amount

    back = datetime.combine(today, time(0, 30), tzinfo=UTC)
    schedule.catch_up_closes(runtime.db, "23:59", "UTC", now=back)
    schedule.catch_up_closes(runtime.db, "23:59", "UTC", now=back + timedelta(minutes=2))

    assert closed_days(runtime) == days
    entries = rows(runtime, ledger_entries)
    paid_on = {e.billing_day: -e.amount for e in entries if e.kind == "payout"}
    assert paid_on == {day: earned_on[day] for day in days if earned_on.get(day, 0) > 0}
    assert balances(runtime)[parrot.public_id] == earned_on[today]
    assert_the_books_add_up(runtime)


def test_the_scheduled_close_first_closes_the_earlier_days_no_worker_was_up_for(
    runtime, parrot, deliver, today
):
    days = [today - timedelta(days=n) for n in (2, 1, 0)]
    for day in days[:2]:
        earn_unseen(runtime, parrot, at=datetime.combine(day, time(12), tzinfo=UTC))
    deliver()
    earned_on = {e.billing_day: 0 for e in rows(runtime, ledger_entries)}
    for entry in rows(runtime, ledger_entries):
        earned_on[entry.billing_day] += entry.amount

    schedule.run_scheduled_close(runtime.db, "00:00", "UTC")  # today's close is due

    assert closed_days(runtime) == days
    entries = rows(runtime, ledger_entries)
    paid_on = {e.billing_day: -e.amount for e in entries if e.kind == "payout"}
    assert paid_on == {day: earned for day, earned in earned_on.items() if earned > 0}
    assert balances(runtime)[parrot.public_id] == 0
