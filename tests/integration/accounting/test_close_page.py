"""The day close from the accounting page: confirmed first, final, and explained."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ates.database import utcnow
from domains.accounting import queries
from domains.accounting.rules import billing_day_of
from domains.accounting.schedule import close_schedule
from tests.conftest import shown_day, usd
from tests.integration.accounting.streams import (
    balances,
    feed,
    new_id,
    published,
    task_assigned,
    task_completed,
    task_created,
)


def text(response) -> str:
    return response.get_data(as_text=True)


def today(runtime):
    return billing_day_of(utcnow(), runtime.settings.timezone)


def earn(runtime, parrot, day) -> int:
    """Tasks done by the parrot on `day` until they are owed something; returns the balance."""
    at = min(utcnow(), datetime.combine(day, time(12), ZoneInfo(runtime.settings.timezone)))
    while balances(runtime).get(parrot, 0) <= 0:
        task = new_id()
        feed(
            runtime,
            [
                task_created(task, "Feed the parrots", "UBERPOP-42"),
                task_assigned(task, parrot, at=at),
                task_completed(task, parrot, at=at),
            ],
        )
    return balances(runtime)[parrot]


@pytest.fixture
def yesterday(runtime):
    return today(runtime) - timedelta(days=1)


def test_the_close_asks_first_naming_the_day_the_parrots_paid_and_the_total(
    client, runtime, make_account, login_as, yesterday
):
    kesha, gosha = make_account("worker"), make_account("worker")
    owed = earn(runtime, kesha.public_id, yesterday) + earn(runtime, gosha.public_id, yesterday)
    login_as("accountant")
    company = text(client.get(f"/accounting/company?day={yesterday}"))
    assert f'href="/accounting/close?day={yesterday}"' in company  # a link, not a button
    page = text(client.get(f"/accounting/close?day={yesterday}"))
    assert f"Close {shown_day(yesterday)}?" in page
    assert '<strong id="close-parrots">2 parrots</strong>' in page
    assert f'<strong id="close-total">{usd(owed)}</strong>' in page
    assert "early close" not in page
    assert published(runtime, "payment.made") == []  # asking pays nothing


def test_closing_a_past_day_pays_its_own_balances_and_says_later_days_wait(
    client, runtime, make_account, login_as, csrf_token, yesterday
):
    kesha = make_account("worker")
    owed = earn(runtime, kesha.public_id, yesterday)
    task = new_id()  # today Kesha is charged a fee before anyone closed yesterday
    feed(runtime, [task_created(task), task_assigned(task, kesha.public_id, at=utcnow())])
    today_fee = owed - balances(runtime)[kesha.public_id]
    login_as("accountant")
    page = text(client.get(f"/accounting/close?day={yesterday}"))
    assert f'<strong id="close-total">{usd(owed)}</strong>' in page
    assert "Fees and rewards of later days are not part of this close" in page

    form = {"day": yesterday.isoformat(), "csrf_token": csrf_token()}
    client.post("/accounting/close", data=form)
    assert [p["amount"] for p in published(runtime, "payment.made")] == [owed]
    assert balances(runtime)[kesha.public_id] == -today_fee  # today's fee carries over
    assert "later days" not in text(client.get(f"/accounting/close?day={today(runtime)}"))


def test_a_confirmed_close_pays_once_and_the_day_then_says_it_is_closed_by_whom(
    client, runtime, make_account, login_as, csrf_token, yesterday
):
    kesha = make_account("worker")
    owed = earn(runtime, kesha.public_id, yesterday)
    login_as("accountant", full_name="Rita Counts")
    form = {"day": yesterday.isoformat(), "csrf_token": csrf_token()}
    closed = client.post("/accounting/close", data=form)
    assert closed.status_code == 303
    assert closed.headers["Location"] == f"/accounting/company?day={yesterday}"
    day = text(client.get(closed.headers["Location"]))
    assert f"Closed {shown_day(yesterday)}: paid 1 parrot, total {usd(owed)}." in day
    assert f"{shown_day(yesterday)} is closed: closed at" in day and "by Rita Counts" in day
    assert "/accounting/close?day=" not in day  # no close offered again
    confirm = text(client.get(f"/accounting/close?day={yesterday}"))
    assert f"{shown_day(yesterday)} is closed" in confirm and 'id="confirm-close"' not in confirm

    again = client.post("/accounting/close", data=form, follow_redirects=True)
    assert f"{shown_day(yesterday)} was already closed; nothing was paid again." in text(again)
    assert [p["amount"] for p in published(runtime, "payment.made")] == [owed]
    assert balances(runtime)[kesha.public_id] == 0
    with runtime.db.reading() as session:
        record = queries.closed_day(session, yesterday)
    assert (record.paid, record.total, record.early) == (1, owed, False)


def test_closing_today_before_its_time_is_refused_unless_confirmed_as_early(
    client, runtime, make_account, login_as, csrf_token
):
    settings = runtime.settings
    schedule = close_schedule(settings.day_close_at, settings.timezone)
    day = today(runtime)
    if not schedule.is_early(day, utcnow()):
        pytest.skip("the test runs in the minute of the scheduled close itself")
    kesha = make_account("worker")
    owed = earn(runtime, kesha.public_id, day)
    login_as("admin", full_name="Ada Admin")
    confirm = text(client.get("/accounting/close"))
    next_day = shown_day(day + timedelta(days=1))
    assert f"Close {shown_day(day)} early?" in confirm and 'name="early" value="yes"' in confirm
    assert f"will belong to billing day {next_day}" in confirm

    refused = client.post("/accounting/close", data={"day": day, "csrf_token": csrf_token()})
    assert refused.status_code == 422 and "confirmed as an early close" in text(refused)
    in_russian = client.post(
        "/accounting/close",
        data={"day": day, "csrf_token": csrf_token()},
        headers={"Accept-Language": "ru"},
    )
    assert in_russian.status_code == 422
    assert "только подтвердив досрочное закрытие" in text(in_russian)
    assert published(runtime, "payment.made") == []

    early = {"day": day.isoformat(), "early": "yes", "csrf_token": csrf_token()}
    page = text(client.post("/accounting/close", data=early, follow_redirects=True))
    assert f"{shown_day(day)} is closed: closed early at" in page and "by Ada Admin" in page
    assert [p["amount"] for p in published(runtime, "payment.made")] == [owed]

    # What happens later that day belongs to the next billing day, as the page said.
    task = new_id()
    feed(
        runtime,
        [task_created(task, "Late work", None), task_assigned(task, kesha.public_id, at=utcnow())],
    )
    with runtime.db.reading() as session:
        statement = queries.open_period(session, kesha.public_id)
    assert [line.entry.billing_day for line in statement.lines] == [day + timedelta(days=1)]


def test_a_day_that_has_not_begun_cannot_be_closed(client, runtime, login_as, csrf_token):
    login_as("accountant")
    tomorrow = (today(runtime) + timedelta(days=1)).isoformat()
    assert "has not begun yet" in text(client.get(f"/accounting/close?day={tomorrow}"))
    response = client.post("/accounting/close", data={"day": tomorrow, "csrf_token": csrf_token()})
    assert response.status_code == 422 and "has not begun yet" in text(response)


def test_an_htmx_close_redirects_the_whole_page_to_the_closed_day(
    client, runtime, login_as, csrf_token, yesterday
):
    login_as("accountant")
    headers = {"X-CSRFToken": csrf_token(), "HX-Request": "true"}
    response = client.post("/accounting/close", data={"day": yesterday}, headers=headers)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/accounting/company?day={yesterday}"
