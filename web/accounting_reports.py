"""Accounting's reports as accountants open them: streamed CSV and XLSX.

Every report has a title and the range in its first rows, human headers, typed cells (dollars
as numbers, dates and times in the company's zone as real dates) and a totals row. Rows leave
as they come from the database: CSV in chunks, XLSX written row by row to a temporary file
(xlsxwriter's constant_memory) that is then streamed.
"""

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from ates.database import Database, utcnow
from ates.money import dollars
from domains.accounting import queries
from domains.sender import queries as sender_queries

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_CHUNK = 64 * 1024
CSV_ROWS_PER_CHUNK = 500
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with it
TITLE_ROWS = 3  # title, what the figures are, an empty row; then the header

# What a column holds decides how it is written: dollars are cents here.
TEXT, DAY, MOMENT, DOLLARS, COUNT = "text", "day", "moment", "dollars", "count"
SUMMED = (DOLLARS, COUNT)


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: int = 14
    total: bool = False  # summed in the totals row


@dataclass(frozen=True)
class Report:
    name: str  # in the file name
    title: str
    columns: tuple[Column, ...]
    rows: Callable  # (session, start, end, zone) -> Iterator[tuple]


# --- what each report reads ---------------------------------------------------------------------


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A UTC moment as the company's wall clock, to the second (spreadsheets hold no zone)."""
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0) if moment else None


LEDGER = (
    Column("Billing day", DAY, 12),
    Column("Recorded at", MOMENT, 20),
    Column("Parrot", TEXT, 24),
    Column("Kind", TEXT, 18),
    Column("Description", TEXT, 50),
    Column("Jira id", TEXT, 14),
    Column("Amount ($)", DOLLARS, 14, total=True),
    Column("Account id", TEXT, 38),
    Column("Task id", TEXT, 38),
)


def _ledger_rows(session, start, end, zone, account_id=None) -> Iterator[tuple]:
    for e in queries.stream_ledger(session, start, end, account_id=account_id):
        yield (
            e.billing_day,
            _local(e.recorded_at, zone),
            e.account_name or "",
            e.kind_label,
            e.description,
            e.jira_id or "",
            e.amount,
            e.account_id,
            e.task_id or "",
        )


DAYS = (
    Column("Billing day", DAY, 12),
    Column("Fees charged ($)", DOLLARS, 16, total=True),
    Column("Rewards paid ($)", DOLLARS, 16, total=True),
    Column("Management earnings ($)", DOLLARS, 22, total=True),
    Column("Payouts ($)", DOLLARS, 14, total=True),
    Column("Entries", COUNT, 10, total=True),
)


def _day_rows(session, start, end, zone) -> Iterator[tuple]:
    for d in queries.every_day(queries.stream_day_totals(session, start, end), start, end):
        yield (
            d.billing_day,
            d.fees_charged,
            d.rewards_paid,
            d.management_earnings,
            d.payouts,
            d.entries,
        )


PAYOUTS = (
    Column("Billing day", DAY, 12),
    Column("Closed at", MOMENT, 20),
    Column("Closed by", TEXT, 22),
    Column("Parrot", TEXT, 24),
    Column("Login", TEXT, 14),
    Column("E-mail", TEXT, 28),
    Column("Amount ($)", DOLLARS, 14, total=True),
    Column("E-mail status", TEXT, 14),
    Column("E-mail sent at", MOMENT, 20),
    Column("Payment id", TEXT, 38),
)
EMAIL_LOOKUP_CHUNK = 500


def _payout_rows(session, start, end, zone) -> Iterator[tuple]:
    """Each close's payouts with the e-mail's state in the sender's log, a chunk at a time."""
    chunk: list = []
    for payout in queries.stream_payouts(session, start, end):
        chunk.append(payout)
        if len(chunk) == EMAIL_LOOKUP_CHUNK:
            yield from _with_emails(session, chunk, zone)
            chunk = []
    yield from _with_emails(session, chunk, zone)


def _with_emails(session, payouts, zone) -> Iterator[tuple]:
    emails = sender_queries.emails_for_payouts(
        session, [(p.account_id, p.billing_day) for p in payouts]
    )
    for payout in payouts:
        email = emails.get((payout.account_id, payout.billing_day))
        yield (
            payout.billing_day,
            _local(payout.closed_at, zone),
            payout.closed_by_name or ("the schedule" if payout.closed_by is None else ""),
            payout.full_name or "",
            payout.login or "",
            payout.email or "",
            payout.amount,
            email.status if email else "not yet queued",
            _local(email.sent_at, zone) if email else None,
            payout.payment_id,
        )


STATEMENT = (
    Column("Billing day", DAY, 12),
    Column("Recorded at", MOMENT, 20),
    Column("Kind", TEXT, 18),
    Column("Description", TEXT, 50),
    Column("Jira id", TEXT, 14),
    Column("Amount ($)", DOLLARS, 14, total=True),
    Column("Balance ($)", DOLLARS, 14),
)


def statement_rows(account_id: str):
    """One parrot's entries over the range, after the balance they started it with."""

    def rows(session, start, end, zone) -> Iterator[tuple]:
        balance = queries.balance_before(session, account_id, start)
        yield (start, None, "Opening balance", "The balance before this range", "", 0, balance)
        for e in queries.stream_ledger(session, start, end, account_id=account_id):
            balance += e.amount
            yield (
                e.billing_day,
                _local(e.recorded_at, zone),
                e.kind_label,
                e.description,
                e.jira_id or "",
                e.amount,
                balance,
            )

    return rows


REPORTS = {
    "ledger": Report("ledger", "Ledger", LEDGER, _ledger_rows),
    "days": Report("days", "Company totals per billing day", DAYS, _day_rows),
    "payouts": Report("payouts", "Payouts of the day closes", PAYOUTS, _payout_rows),
}


def statement_report(account_id: str, parrot: str) -> Report:
    return Report("statement", f"Statement of {parrot}", STATEMENT, statement_rows(account_id))


# --- writing them -------------------------------------------------------------------------------


def build(
    db: Database, report: Report, fmt: str, start: date, end: date, timezone: str
) -> Iterator[bytes]:
    zone = ZoneInfo(timezone)
    heading = (
        f"UberPopug Inc. · {report.title} · {start.isoformat()} to {end.isoformat()}",
        f"Dollars; dates and times in {timezone}; made {_local(utcnow(), zone):%Y-%m-%d %H:%M}",
    )

    def rows():
        with db.reading(snapshot=True) as session:  # one snapshot, streamed
            yield from report.rows(session, start, end, zone)

    if fmt == "csv":
        return _csv(heading, report.columns, rows())
    return _xlsx(heading, report, rows())


def filename(report: Report, fmt: str, start: date, end: date, who: str = "") -> str:
    name = f"-{who}" if who else ""
    return f"ates-{report.name}{name}-{start.isoformat()}-to-{end.isoformat()}.{fmt}"


def inert(value):
    """A text cell a spreadsheet will not run as a formula (a title like `=HYPERLINK(...)`):
    such cells get a leading apostrophe; numbers, negative amounts included, stay as they are."""
    if isinstance(value, str) and (
        value[:1] in FORMULA_STARTS or (value[:1] == "-" and not value[1:2].isdigit())
    ):
        return "'" + value
    return value


def _add(sums: list[int], columns, row) -> None:
    for n, column in enumerate(columns):
        if column.total:
            sums[n] += row[n]


def _csv_cell(column: Column, value) -> str:
    if value is None or value == "":
        return ""
    if column.kind == DOLLARS:
        return dollars(value, grouped=False)
    if column.kind == MOMENT:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if column.kind == DAY:
        return value.isoformat()
    return inert(str(value))


def _csv(heading, columns, rows) -> Iterator[bytes]:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerows([[line] for line in heading] + [[]])
    writer.writerow([c.header for c in columns])
    sums = [0] * len(columns)
    for number, row in enumerate(rows, 1):
        _add(sums, columns, row)
        writer.writerow([_csv_cell(c, v) for c, v in zip(columns, row, strict=True)])
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    totals = [_csv_cell(c, sums[n]) if c.total else "" for n, c in enumerate(columns)]
    writer.writerow(["Total", *totals[1:]])
    yield buffer.getvalue().encode()


MONEY_FORMAT = '"$"#,##0.00;[Red]-"$"#,##0.00'
FORMATS = {DAY: "yyyy-mm-dd", MOMENT: "yyyy-mm-dd hh:mm:ss", DOLLARS: MONEY_FORMAT, COUNT: "#,##0"}


def _xlsx(heading, report: Report, rows) -> Iterator[bytes]:
    """constant_memory writes each row to disk as it comes; the finished file is then streamed."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        _write_xlsx(path, heading, report, rows)
        with open(path, "rb") as file:
            while chunk := file.read(FILE_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _write_xlsx(path, heading, report: Report, rows) -> None:
    columns = report.columns
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_urls": False})
    sheet = workbook.add_worksheet(report.title[:31])
    formats = {kind: workbook.add_format({"num_format": f}) for kind, f in FORMATS.items()}
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True})
    total_formats = {
        kind: workbook.add_format({"bold": True, "top": 1, "num_format": f})
        for kind, f in FORMATS.items()
    }
    for n, column in enumerate(columns):
        sheet.set_column(n, n, column.width)
    sheet.write_string(0, 0, heading[0], bold)
    sheet.write_string(1, 0, heading[1])
    top = TITLE_ROWS
    sheet.write_row(top, 0, [c.header for c in columns], header)
    sheet.freeze_panes(top + 1, 0)
    writers = {
        DAY: lambda r, c, v: sheet.write_datetime(
            r, c, datetime(v.year, v.month, v.day), formats[DAY]
        ),
        MOMENT: lambda r, c, v: sheet.write_datetime(r, c, v, formats[MOMENT]),
        DOLLARS: lambda r, c, v: sheet.write_number(r, c, v / 100, formats[DOLLARS]),
        COUNT: lambda r, c, v: sheet.write_number(r, c, v, formats[COUNT]),
        TEXT: lambda r, c, v: sheet.write_string(r, c, inert(v)),
    }
    kinds = [writers[c.kind] for c in columns]
    sums = [0] * len(columns)
    number = top
    for number, row in enumerate(rows, top + 1):
        _add(sums, columns, row)
        for n, value in enumerate(row):
            if value is not None and value != "":
                kinds[n](number, n, value)
    last = number
    totals_row = last + 1
    sheet.write_string(totals_row, 0, "Total", total_formats[COUNT])
    for n, column in enumerate(columns):
        if not column.total:
            continue
        letter = xl_col_to_name(n)
        value = sums[n] / 100 if column.kind == DOLLARS else sums[n]
        # SUBTOTAL(109, ...) follows the filter: the total of the rows an accountant chose.
        formula = f"=SUBTOTAL(109,{letter}{top + 2}:{letter}{last + 1})"
        sheet.write_formula(totals_row, n, formula, total_formats[column.kind], value)
    sheet.autofilter(top, 0, max(last, top), len(columns) - 1)
    workbook.close()
