"""The reports an accountant opens in a spreadsheet: read back with openpyxl and csv, every cell
typed and every total equal to the ledger's sums."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from ates.database import utcnow
from domains.accounting import day_close
from domains.accounting.rules import billing_day_of
from domains.accounting.tables import ledger_entries
from tests.integration.accounting.streams import balances, close_ids, work
from web.accounting_reports import TITLE_ROWS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = TITLE_ROWS + 1  # openpyxl counts from 1


def today(runtime):
    return billing_day_of(utcnow(), runtime.settings.timezone)


def ledger(runtime, start, end) -> list:
    with runtime.db.reading() as session:
        return session.execute(
            sa.select(ledger_entries)
            .where(ledger_entries.c.billing_day.between(start, end))
            .order_by(ledger_entries.c.billing_day, ledger_entries.c.id)
        ).all()


def sheet_of(response):
    assert response.content_type == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.data), data_only=True).active


def records(sheet) -> tuple[list, list[list], list]:
    """(header, body rows, totals row) of a report sheet."""
    rows = [list(r) for r in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]
    return rows[0], rows[1:-1], rows[-1]


def csv_records(response) -> tuple[list[str], list[list], list[str], list[str]]:
    """(first rows, header, body rows, totals row) of a CSV report."""
    raw = response.data
    assert raw.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    return lines[:TITLE_ROWS], lines[TITLE_ROWS], lines[TITLE_ROWS + 1 : -1], lines[-1]


def cents(dollars_cell) -> int:
    return round(dollars_cell * 100)


@pytest.fixture
def books(runtime, make_account):
    """Two parrots' work, a payout of yesterday's: a week's range with gaps."""
    kesha = make_account("worker", full_name="Кеша Попугаев", login="kesha")
    gosha = make_account("worker", full_name="Gosha Perov", login="gosha")
    yesterday = utcnow() - timedelta(days=1)
    while balances(runtime).get(kesha.public_id, 0) <= 0:
        work(runtime, kesha.public_id, title="Feed the parrots", at=yesterday)
    with runtime.db.transaction() as session:
        day_close.close_day(session, today(runtime) - timedelta(days=1), utcnow())
    work(runtime, gosha.public_id, title='=HYPERLINK("http://evil")', complete=False)
    return kesha, gosha


def test_the_ledger_xlsx_has_typed_cells_a_frozen_filtered_header_and_a_total(
    client, runtime, login_as, books
):
    login_as("accountant")
    end = today(runtime)
    start = end - timedelta(days=6)
    response = client.get(f"/accounting/reports/ledger.xlsx?start={start}&end={end}")
    assert (
        f'filename="ates-ledger-{start}-to-{end}.xlsx"' in response.headers["Content-Disposition"]
    )
    sheet = sheet_of(response)
    assert f"Ledger · {start} to {end}" in sheet["A1"].value
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    assert sheet.column_dimensions["E"].width >= 40  # descriptions are readable
    header, body, total = records(sheet)
    assert header[:7] == [
        "Billing day",
        "Recorded at",
        "Parrot",
        "Kind",
        "Description",
        "Jira id",
        "Amount ($)",
    ]
    entries = ledger(runtime, start, end)
    assert len(body) == len(entries)
    zone = ZoneInfo(runtime.settings.timezone)
    for row, entry in zip(body, entries, strict=True):
        assert isinstance(row[0], datetime) and row[0].date() == entry.billing_day
        assert row[1] == entry.recorded_at.astimezone(zone).replace(tzinfo=None, microsecond=0)
        assert isinstance(row[6], float | int) and cents(row[6]) == entry.amount
    assert "Кеша Попугаев" in {row[2] for row in body}
    # A title that looks like a formula stays text.
    assert '[UBERPOP-42] =HYPERLINK("http://evil")' in {row[4].split(": ", 1)[-1] for row in body}
    assert total[0] == "Total" and cents(total[6]) == sum(e.amount for e in entries)
    amount_cell = sheet.cell(row=HEADER_ROW + 1, column=7)
    assert "0.00" in amount_cell.number_format and "$" in amount_cell.number_format
    assert sheet.cell(row=HEADER_ROW + 1, column=1).number_format == "yyyy-mm-dd"


def test_the_ledger_csv_has_a_bom_dollars_plain_dates_and_a_total(client, runtime, login_as, books):
    login_as("accountant")
    day = today(runtime)
    start = day - timedelta(days=6)
    response = client.get(f"/accounting/reports/ledger.csv?start={start}&end={day}")
    assert response.content_type == "text/csv; charset=utf-8"
    first, header, body, total = csv_records(response)
    assert f"{start} to {day}" in first[0][0]
    assert header[6] == "Amount ($)"
    entries = ledger(runtime, start, day)
    assert [int(row[6].replace(".", "")) for row in body] == [e.amount for e in entries]
    assert all(len(row[1]) == len("2026-11-29 10:00:00") for row in body)  # no microseconds
    assert {row[0] for row in body} <= {str(start + timedelta(days=n)) for n in range(7)}
    assert "Кеша Попугаев" in {row[2] for row in body}
    assert total[0] == "Total" and int(total[6].replace(".", "")) == sum(e.amount for e in entries)


def test_totals_per_day_list_every_day_of_the_range_in_dollars_with_a_totals_row(
    client, runtime, login_as, books
):
    login_as("accountant")
    end = today(runtime)
    start = end - timedelta(days=6)
    entries = ledger(runtime, start, end)

    def by_day(kind, sign):
        sums = {start + timedelta(days=n): 0 for n in range(7)}
        for e in entries:
            if e.kind == kind:
                sums[e.billing_day] += sign * e.amount
        return sums

    fees, rewards, payouts = (
        by_day("assign_fee", -1),
        by_day("completion_reward", 1),
        by_day("payout", -1),
    )
    header, body, total = records(
        sheet_of(client.get(f"/accounting/reports/days.xlsx?start={start}&end={end}"))
    )
    assert header == [
        "Billing day",
        "Fees charged ($)",
        "Rewards paid ($)",
        "Management earnings ($)",
        "Payouts ($)",
        "Entries",
    ]
    assert [row[0].date() for row in body] == list(fees)  # every day, zeros too
    assert [(cents(r[1]), cents(r[2]), cents(r[4])) for r in body] == [
        (fees[d], rewards[d], payouts[d]) for d in fees
    ]
    assert [cents(r[3]) for r in body] == [fees[d] - rewards[d] for d in fees]
    assert cents(total[1]) == sum(fees.values()) and cents(total[4]) == sum(payouts.values())
    assert total[5] == len(entries)

    _, _, rows, csv_total = csv_records(
        client.get(f"/accounting/reports/days.csv?start={start}&end={end}")
    )
    assert [row[0] for row in rows] == [d.isoformat() for d in fees]
    assert int(csv_total[3].replace(".", "")) == sum(fees.values()) - sum(rewards.values())


def test_the_payouts_report_lists_each_close_who_got_what_and_the_email_status(
    client, runtime, login_as, books
):
    login_as("accountant")
    end = today(runtime)
    start = end - timedelta(days=6)
    payouts = [e for e in ledger(runtime, start, end) if e.kind == "payout"]
    header, body, total = records(
        sheet_of(client.get(f"/accounting/reports/payouts.xlsx?start={start}&end={end}"))
    )
    assert header[:8] == [
        "Billing day",
        "Closed at",
        "Closed by",
        "Parrot",
        "Login",
        "E-mail",
        "Amount ($)",
        "E-mail status",
    ]
    [row] = body
    assert (row[3], row[4], row[2]) == ("Кеша Попугаев", "kesha", "the schedule")
    assert cents(row[6]) == -payouts[0].amount and row[7] in ("not yet queued", "queued", "sent")
    paid = close_ids(payouts[0].account_id, payouts[0].billing_day)  # e-mailed or not yet
    assert header[9] == "Payment id" and row[9] == paid[1]
    assert cents(total[6]) == -sum(p.amount for p in payouts)
    response = client.get(f"/accounting/reports/payouts.csv?start={start}&end={end}")
    assert f"ates-payouts-{start}-to-{end}.csv" in response.headers["Content-Disposition"]


def test_a_parrots_statement_starts_from_the_balance_before_the_range(
    client, runtime, login_as, books
):
    kesha, _ = books
    login_as("admin")
    day = today(runtime)
    response = client.get(
        f"/accounting/parrots/{kesha.public_id}/statement.xlsx?start={day}&end={day}"
    )
    assert f"ates-statement-kesha-{day}-to-{day}.xlsx" in response.headers["Content-Disposition"]
    header, body, _ = records(sheet_of(response))
    assert header[-2:] == ["Amount ($)", "Balance ($)"]
    assert body[0][2] == "Opening balance"
    assert cents(body[-1][-1]) == balances(runtime)[kesha.public_id]


def test_the_accounting_page_links_every_report_in_both_formats_for_its_range(
    client, runtime, login_as
):
    login_as("accountant")
    page = client.get("/accounting/company?start=2026-11-01&end=2026-11-07").get_data(as_text=True)
    for name in ("ledger", "days", "payouts"):
        for fmt in ("csv", "xlsx"):
            assert f"/accounting/reports/{name}.{fmt}?start=2026-11-01&amp;end=2026-11-07" in page


def test_reports_are_streamed_and_refuse_a_bad_range(client, runtime, login_as):
    login_as("admin")
    assert client.get("/accounting/reports/ledger.csv").is_streamed
    assert client.get("/accounting/reports/payouts.xlsx").is_streamed
    assert client.get("/accounting/reports/ledger.csv?start=nope").status_code == 400
    backwards = "/accounting/reports/days.csv?start=2026-11-02&end=2026-11-01"
    assert client.get(backwards).status_code == 400
