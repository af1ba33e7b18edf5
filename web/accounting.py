"""Accounting pages: a parrot's own balance and audit log; the company's books, the day close
and the reports for admins and accountants."""

from datetime import date, timedelta

import click
from flask import Blueprint, Response, abort, current_app, request
from flask.cli import AppGroup
from flask_login import current_user

from ates.database import utcnow
from domains.accounting import day_close, queries
from domains.accounting.catching_up import BUTTON_WAIT_SECONDS, BooksBehind, close_once_caught_up
from domains.accounting.rules import billing_day_of, dollars
from web import accounting_reports as reports
from web import navigation
from web.access import ANY_ROLE, allow
from web.htmx import page_or_fragment
from web.query import page_number

bp = Blueprint("accounting", __name__, url_prefix="/accounting")
navigation.add("My account", "accounting.mine")
navigation.add("Accounting", "accounting.company")
bp.add_app_template_filter(dollars, "dollars")
BOOKKEEPERS = ("admin", "accountant")
DEFAULT_RANGE_DAYS = 7
MAX_RANGE_DAYS = 366  # a year's report at most; a range over centuries is a typo
EARLIEST_DAY = date(2000, 1, 1)  # no books before aTES; also keeps day arithmetic in range


def _runtime():
    return current_app.extensions["ates"]


BALANCES_PER_PAGE = 50


def today() -> date:
    return billing_day_of(utcnow(), _runtime().settings.timezone)


def _day(name: str, default: date) -> date:
    """A date from the query string or form; a malformed one is a clear 400."""
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"{name}: {raw!r} is not a date; use YYYY-MM-DD.")
    if day < EARLIEST_DAY:
        abort(400, description=f"{name}: {raw!r} is too early; the books start in 2000.")
    return day


def _range() -> tuple[date, date]:
    end = _day("end", today())
    start = _day("start", end - timedelta(days=DEFAULT_RANGE_DAYS - 1))
    if start > end:
        abort(400, description=f"start {start} is after end {end}.")
    if (length := (end - start).days + 1) > MAX_RANGE_DAYS:
        abort(400, description=f"A range spans at most {MAX_RANGE_DAYS} days; this one {length}.")
    return start, end


@bp.get("/")
@allow(ANY_ROLE)
def mine():
    """The parrot's own balance today and the audit log of the chosen day."""
    day = _day("day", today())
    with _runtime().db.reading() as session:
        balance = queries.balance_of(session, current_user.public_id)
        entries = queries.audit_log(session, current_user.public_id, day)
    return page_or_fragment(
        "accounting/mine.html",
        "accounting/_audit_log.html",
        balance=balance,
        entries=entries,
        day=day,
        today=today(),
    )


def _company_context(day: date, start: date, end: date, close_result=None) -> dict:
    page = page_number(request.args)
    with _runtime().db.reading() as session:
        days = queries.day_totals(session, start, end)
        # The chosen day is usually within the range shown: no second query for it then.
        totals = {d.billing_day: d for d in days}.get(day) or queries.totals_of_day(session, day)
        return {
            "day": day,
            "today": today(),
            "start": start,
            "end": end,
            "totals": totals,
            "closed_at": queries.closed_at(session, day),
            "days": days,
            # One more than a page tells whether there is a next one, without counting them all.
            "balances": queries.balances(
                session, offset=(page - 1) * BALANCES_PER_PAGE, limit=BALANCES_PER_PAGE + 1
            ),
            "balances_page": page,
            "balances_per_page": BALANCES_PER_PAGE,
            "close_result": close_result,
        }


@bp.get("/company")
@allow(*BOOKKEEPERS)
def company():
    """Management's earnings of a day, company totals per day over a range, every balance."""
    start, end = _range()
    context = _company_context(_day("day", today()), start, end)
    return page_or_fragment("accounting/company.html", "accounting/_company_day.html", **context)


@bp.post("/close")
@allow(*BOOKKEEPERS)
def close_day():
    """Close a billing day now: pay out positive balances (once), show what was done."""
    day = _day("day", today())
    if day > today():
        context = _company_context(today(), *_range())
        context["close_error"] = f"{day} has not begun yet; a day closes on or after itself."
        return page_or_fragment(
            "accounting/company.html", "accounting/_company_body.html", **context
        ), 422
    try:
        result = close_once_caught_up(
            _runtime().db,
            lambda session, now: day_close.close_day(session, day, now),
            BUTTON_WAIT_SECONDS,
        )
    except BooksBehind as behind:
        context = _company_context(day, *_range())
        context["close_error"] = str(behind)
        return page_or_fragment(
            "accounting/company.html", "accounting/_company_body.html", **context
        ), 409
    context = _company_context(day, *_range(), close_result=result)
    return page_or_fragment("accounting/company.html", "accounting/_company_body.html", **context)


REPORTS = [(report, fmt) for report in ("ledger", "days") for fmt in ("csv", "xlsx")]


def _report_routes(view):
    for report, fmt in REPORTS:
        view = bp.get(f"/reports/{report}.{fmt}", defaults={"report": report, "fmt": fmt})(view)
    return view


@_report_routes
@allow(*BOOKKEEPERS)
def report(report: str, fmt: str):
    """The ledger or the per-day totals of a date range, streamed as CSV or XLSX."""
    start, end = _range()
    body = reports.build(_runtime().db, report, fmt, start, end)
    filename = f"ates-{report}-{start.isoformat()}-to-{end.isoformat()}.{fmt}"
    return Response(
        body,
        content_type=reports.CONTENT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


accounting_cli = AppGroup("accounting", help="Accounting: the day close.")


@accounting_cli.command("close-day")
@click.option("--date", "day", help="The billing day to close, YYYY-MM-DD (default: today).")
def close_day_command(day):
    """Close a billing day: pay out positive balances once; safe to run again."""
    runtime = _runtime()
    try:
        billing_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    billing_day = billing_day or billing_day_of(utcnow(), runtime.settings.timezone)
    try:
        result = close_once_caught_up(
            runtime.db,
            lambda session, now: day_close.close_day(session, billing_day, now),
            BUTTON_WAIT_SECONDS,
        )
    except BooksBehind as behind:
        raise click.ClickException(str(behind)) from None
    click.echo(
        f"closed {result.billing_day}: paid {result.paid} parrot(s) ${dollars(result.total)}"
        f"; {result.waiting_for_email} positive balance(s) wait for an e-mail address"
    )
