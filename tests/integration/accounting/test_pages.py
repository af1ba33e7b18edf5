"""Accounting's pages by role: a parrot's own account, the company's books."""

from datetime import timedelta

import pytest

from ates.database import utcnow
from domains.accounting.rules import billing_day_of
from tests.conftest import shown_day, usd
from tests.integration.accounting.streams import balances, new_id, published, work


def today(runtime):
    return billing_day_of(utcnow(), runtime.settings.timezone)


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_worker_sees_todays_balance_and_the_audit_log_with_titles_and_jira_ids(
    client, runtime, login_as
):
    kesha = login_as("worker")
    price = work(runtime, kesha.public_id)
    page = text(client.get("/accounting/"))
    balance = price.completion_reward - price.assign_fee
    assert usd(balance) in page
    assert "Assign fee: [UBERPOP-42] Feed the parrots" in page
    assert "Completion reward: [UBERPOP-42] Feed the parrots" in page
    assert usd(-price.assign_fee) in page


def test_a_worker_sees_only_their_own_account(client, runtime, login_as):
    login_as("worker")
    work(runtime, new_id(), title="Somebody else's secret")
    page = text(client.get("/accounting/"))
    assert "secret" not in page and "$0.00" in page and "No entries on this billing day." in page
    for url in (
        "/accounting/company",
        "/accounting/reports/ledger.csv",
        "/accounting/reports/days.xlsx",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/accounting/close").status_code in (400, 403)


@pytest.mark.parametrize("role", ["worker", "manager"])
def test_company_pages_reports_and_the_close_are_forbidden_to_other_roles(
    client, runtime, login_as, csrf_token, role
):
    login_as(role)
    assert client.get("/accounting/company").status_code == 403
    assert client.get("/accounting/reports/days.csv").status_code == 403
    closed = client.post("/accounting/close", data={"csrf_token": csrf_token()})
    assert closed.status_code == 403
    assert published(runtime, "payment.made") == []


def test_the_audit_log_day_picker_shows_a_past_day_and_refuses_a_bad_date(
    client, runtime, login_as
):
    kesha = login_as("worker")
    work(runtime, kesha.public_id, title="Today's work")
    yesterday = today(runtime) - timedelta(days=1)
    past = text(client.get(f"/accounting/?day={yesterday}", headers={"HX-Request": "true"}))
    assert past.lstrip().startswith('<section id="audit-log">')
    assert "Today's work" not in past and f"Entries of billing day {shown_day(yesterday)}" in past
    bad = client.get("/accounting/?day=31.02.2026")
    assert bad.status_code == 400 and "YYYY-MM-DD" in text(bad)


def test_an_accountant_sees_a_days_earnings_the_totals_per_day_and_every_balance(
    client, runtime, make_account, login_as
):
    kesha = make_account("worker", full_name="Kesha Popugaev")
    first = work(runtime, kesha.public_id)
    second = work(runtime, kesha.public_id, complete=False)
    login_as("accountant")
    page = text(client.get("/accounting/company"))
    fees = first.assign_fee + second.assign_fee
    earned = fees - first.completion_reward
    assert f'<strong id="earnings">{usd(earned)}</strong>' in page
    assert f"fees charged {usd(fees)}" in page
    assert "Kesha Popugaev" in page and usd(balances(runtime)[kesha.public_id]) in page
    yesterday = (today(runtime) - timedelta(days=1)).isoformat()
    other_day = text(client.get(f"/accounting/company?day={yesterday}"))
    assert '<strong id="earnings">$0.00</strong>' in other_day
    assert client.get("/accounting/company?start=2026-11-25&end=2026-11-01").status_code == 400


def test_the_balances_come_a_page_at_a_time_lowest_first(
    client, runtime, make_account, login_as, monkeypatch
):
    monkeypatch.setattr("web.accounting.BALANCES_PER_PAGE", 2)
    kesha = make_account("worker", full_name="Kesha Popugaev")
    work(runtime, kesha.public_id, complete=False)  # Kesha is in the red: first on page 1
    login_as("accountant", full_name="Rita Counts")
    first = text(client.get("/accounting/company"))
    assert "Kesha Popugaev" in first and "Page 1" in first and "page=2" in first
    second = text(client.get("/accounting/company?page=2"))
    assert "Kesha Popugaev" not in second and "Page 2" in second
    assert "page=1" in second and "page=3" not in second  # the last page: no next
    refused = client.get("/accounting/company?page=-1")
    assert refused.status_code == 400 and "is not a page number" in text(refused)
