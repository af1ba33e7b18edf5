"""Accounting's reports as streamed CSV and XLSX: rows leave as they come from the database."""

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import date

import xlsxwriter

from ates.database import Database
from domains.accounting import queries

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILE_CHUNK = 64 * 1024
CSV_ROWS_PER_CHUNK = 500
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")

LEDGER_COLUMNS = (
    "billing_day",
    "recorded_at_utc",
    "account_id",
    "account_name",
    "kind",
    "amount_cents",
    "amount_usd",
    "task_id",
    "jira_id",
    "task_title",
    "description",
)
DAY_COLUMNS = (
    "billing_day",
    "fees_charged_cents",
    "rewards_paid_cents",
    "management_earnings_cents",
    "payouts_cents",
    "entries",
)


def _usd(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _rows(db: Database, report: str, start: date, end: date) -> Iterator[tuple]:
    with db.reading(snapshot=True) as session:
        if report == "ledger":
            for e in queries.stream_ledger(session, start, end):
                yield (
                    e.billing_day.isoformat(),
                    e.recorded_at.isoformat(),
                    e.account_id,
                    e.account_name or "",
                    e.kind,
                    e.amount,
                    _usd(e.amount),
                    e.task_id or "",
                    e.jira_id or "",
                    e.title or "",
                    e.description,
                )
        else:
            for d in queries.stream_day_totals(session, start, end):
                yield (
                    d.billing_day.isoformat(),
                    d.fees_charged,
                    d.rewards_paid,
                    d.management_earnings,
                    d.payouts,
                    d.entries,
                )


def _columns(report: str) -> tuple[str, ...]:
    return LEDGER_COLUMNS if report == "ledger" else DAY_COLUMNS


def build(db: Database, report: str, fmt: str, start: date, end: date) -> Iterator[bytes]:
    rows = _rows(db, report, start, end)
    if fmt == "csv":
        return _csv(_columns(report), rows)
    return _xlsx(report, _columns(report), rows)


def inert(value):
    """A text cell a spreadsheet will not run as a formula (a title like `=HYPERLINK(...)`):
    such cells get a leading apostrophe; numbers, negative amounts included, stay as they are."""
    if isinstance(value, str) and (
        value[:1] in FORMULA_STARTS or (value[:1] == "-" and not value[1:2].isdigit())
    ):
        return "'" + value
    return value


def _csv(columns, rows) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for number, row in enumerate(rows, 1):
        writer.writerow([inert(value) for value in row])
        if number % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _xlsx(report, columns, rows) -> Iterator[bytes]:
    """constant_memory writes each row to disk as it comes; the finished file is then streamed."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_urls": False})
        sheet = workbook.add_worksheet("Ledger" if report == "ledger" else "Per day")
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, columns, bold)
        # Typed writes: the generic write() guesses each cell's type, several times slower.
        write_number, write_string = sheet.write_number, sheet.write_string
        for number, row in enumerate(rows, 1):
            for column, value in enumerate(row):
                if isinstance(value, int):
                    write_number(number, column, value)
                elif value:
                    write_string(number, column, value)
        workbook.close()
        with open(path, "rb") as file:
            while chunk := file.read(FILE_CHUNK):
                yield chunk
    finally:
        os.unlink(path)
