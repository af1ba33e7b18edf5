"""Accounting's pages, the close button and the reports, by role."""

import csv
import io
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

import pytest

from ates.database import utcnow
from domains.accounting.rules import billing_day_of, dollars
from tests.integration.accounting.streams import balances, new_id, published, work

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def today(runtime):
    return billing_day_of(utcnow(), runtime.settings.timezone)


def text(response) -> str:
    return response.get_data(as_text=True)


def read_xlsx(body: bytes) -> list[list]:
    """The first sheet's rows (xlsxwriter's constant_memory writes inline strings)."""
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    table = []
    for row in sheet.iter(f"{SHEET}row"):
        cells = []
        for cell in row.iter(f"{SHEET}c"):
            if cell.get("t") == "inlineStr":
                cells.append(cell.find(f"{SHEET}is/{SHEET}t").text or "")
            else:
                number = float(cell.find(f"{SHEET}v").text)
                cells.append(int(number) if number.is_integer() else number)
        table.append(cells)
    return table


def test_a_worker_sees_todays_balance_and_the_audit_log_with_titles_and_jira_ids(
    client, runtime, login_as
):
    kesha = login_as("worker")
    price = work(runtime, kesha.public_id)
    page = text(client.get("/accounting/"))
    balance = price.completion_reward - price.assign_fee
    assert f"${dollars(balance)}" in page
    assert "Assign fee: [UBERPOP-42] Feed the parrots" in page
    assert "Completion reward: [UBERPOP-42] Feed the parrots" in page
    assert f"$-{dollars(price.assign_fee)}" in page


def test_a_worker_sees_only_their_own_account(client, runtime, login_as):
    login_as("worker")
    work(runtime, new_id(), title="Somebody else's secret")
    page = text(client.get("/accounting/"))
    assert "secret" not in page and "$0.00" in page and "No entries on this day." in page
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
    yesterday = (today(runtime) - timedelta(days=1)).isoformat()
    past = text(client.get(f"/accounting/?day={yesterday}"))
    assert "Today's work" not in past and f"Audit log of {yesterday}" in past
    bad = client.get("/accounting/?day=31.02.2026")
    assert bad.status_code == 400 and "YYYY-MM-DD" in text(bad)
    fragment = client.get(f"/accounting/?day={yesterday}", headers={"HX-Request": "true"})
    assert text(fragment).lstrip().startswith('<section id="audit-log">')


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
    assert f'<strong id="earnings">${dollars(earned)}</strong>' in page
    assert f"fees charged ${dollars(fees)}" in page
    assert "Kesha Popugaev" in page and f"${dollars(balances(runtime)[kesha.public_id])}" in page
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


def test_the_close_button_pays_out_and_says_what_it_did_once(
    client, runtime, make_account, login_as, csrf_token
):
    kesha = make_account("worker")
    paid = 0
    while paid <= 0:  # a $20 fee and a $20 reward leave Kesha at zero: one more task
        price = work(runtime, kesha.public_id)
        paid += price.completion_reward - price.assign_fee
    login_as("admin")
    headers = {"X-CSRFToken": csrf_token(), "HX-Request": "true"}
    first = client.post("/accounting/close", headers=headers)
    assert first.status_code == 200
    assert f"paid 1 parrot, total ${dollars(paid)}" in text(first)
    assert text(first).lstrip().startswith('<div id="company">')
    again = client.post("/accounting/close", headers=headers)
    assert "paid 0 parrots, total $0.00" in text(again)
    assert balances(runtime)[kesha.public_id] == 0
    assert [p["amount"] for p in published(runtime, "payment.made")] == [paid]


def test_a_day_that_has_not_begun_cannot_be_closed(client, runtime, login_as, csrf_token):
    login_as("accountant")
    tomorrow = (today(runtime) + timedelta(days=1)).isoformat()
    response = client.post("/accounting/close", data={"day": tomorrow, "csrf_token": csrf_token()})
    assert response.status_code == 422 and "has not begun yet" in text(response)


def test_the_ledger_and_day_reports_download_as_csv_and_xlsx(
    client, runtime, make_account, login_as
):
    kesha = make_account("worker")
    price = work(runtime, kesha.public_id)
    login_as("accountant")
    day = today(runtime).isoformat()
    query = f"start={day}&end={day}"

    ledger_csv = client.get(f"/accounting/reports/ledger.csv?{query}")
    assert ledger_csv.content_type == "text/csv; charset=utf-8"
    assert ledger_csv.headers["Content-Disposition"] == (
        f'attachment; filename="ates-ledger-{day}-to-{day}.csv"'
    )
    records = list(csv.DictReader(io.StringIO(text(ledger_csv))))
    assert [(r["kind"], int(r["amount_cents"]), r["jira_id"]) for r in records] == [
        ("assign_fee", -price.assign_fee, "UBERPOP-42"),
        ("completion_reward", price.completion_reward, "UBERPOP-42"),
    ]
    earned = price.assign_fee - price.completion_reward
    days_csv = list(
        csv.DictReader(io.StringIO(text(client.get(f"/accounting/reports/days.csv?{query}"))))
    )
    assert [(r["billing_day"], int(r["management_earnings_cents"])) for r in days_csv] == [
        (day, earned)
    ]

    ledger_xlsx = client.get(f"/accounting/reports/ledger.xlsx?{query}")
    assert ledger_xlsx.content_type == XLSX
    assert (
        f'filename="ates-ledger-{day}-to-{day}.xlsx"' in ledger_xlsx.headers["Content-Disposition"]
    )
    sheet = read_xlsx(ledger_xlsx.data)
    assert sheet[0][:6] == [
        "billing_day",
        "recorded_at_utc",
        "account_id",
        "account_name",
        "kind",
        "amount_cents",
    ]
    assert [(r[4], r[5]) for r in sheet[1:]] == [
        ("assign_fee", -price.assign_fee),
        ("completion_reward", price.completion_reward),
    ]
    days_xlsx = read_xlsx(client.get(f"/accounting/reports/days.xlsx?{query}").data)
    assert days_xlsx[1] == [day, price.assign_fee, price.completion_reward, earned, 0, 2]


def test_reports_are_streamed(client, runtime, login_as):
    login_as("admin")
    response = client.get("/accounting/reports/ledger.csv")
    assert response.is_streamed
    assert client.get("/accounting/reports/ledger.csv?start=nope").status_code == 400
