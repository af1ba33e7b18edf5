"""Accounting pages: a parrot's own balance and audit log; the company's books, the day close
and the reports for admins and accountants."""

import uuid
from datetime import date, timedelta

import click
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ates.database import utcnow
from ates.money import dollars
from domains.accounting import day_close, queries
from domains.accounting.catching_up import BUTTON_WAIT_SECONDS, BooksBehind, close_once_caught_up
from domains.accounting.rules import billing_day_of
from domains.accounting.schedule import close_schedule, day_to_close
from web import accounting_reports as reports
from web import formats, navigation, query
from web.access import ANY_ROLE, allow
from web.htmx import is_htmx, page_or_fragment
from web.query import page_number

bp = Blueprint("accounting", __name__, url_prefix="/accounting")
navigation.add("My account", "accounting.mine")
navigation.add("Accounting", "accounting.company")
BOOKKEEPERS = ("admin", "accountant")
DEFAULT_RANGE_DAYS = 7
MAX_RANGE_DAYS = 366  # a year's report at most; a range over centuries is a typo


def _runtime():
    return current_app.extensions["ates"]


BALANCES_PER_PAGE = 50


def today() -> date:
    return billing_day_of(utcnow(), _runtime().settings.timezone)


def _day(name: str, default: date) -> date:
    """A day from the query string or form (`default` when absent); a bad one is a clear 400."""
    errors: dict[str, str] = {}
    value = query.day(request.values, name, errors)
    if errors:
        abort(400, description=f"{name}: {errors[name]}")
    return value or default


def _range(default_days: int = DEFAULT_RANGE_DAYS) -> tuple[date, date]:
    start, end, errors = query.date_range(
        request.values, today(), default_days=default_days, max_days=MAX_RANGE_DAYS
    )
    if errors:
        abort(400, description=" ".join(errors.values()))
    return start, end


def _schedule():
    settings = _runtime().settings
    return close_schedule(settings.day_close_at, settings.timezone)


def _account_page(account_id: str, parrot=None):
    """A parrot's open billing period (balance and the entries under it) and a past day's log."""
    day = _day("day", today())
    with _runtime().db.reading() as session:
        statement = queries.open_period(session, account_id)
        entries = queries.audit_log(session, account_id, day)
        open_day = queries.open_billing_day(session, today())
    schedule = _schedule()
    return page_or_fragment(
        "accounting/mine.html",
        "accounting/_audit_log.html",
        statement=statement,
        entries=entries,
        day=day,
        today=today(),
        open_day=open_day,
        closes_at=schedule.due_at(open_day),
        zone=schedule.timezone,
        parrot=parrot,
        account_id=account_id,
    )


@bp.get("/")
@allow(ANY_ROLE)
def mine():
    """The parrot's own balance with the entries that make it up, and any day's audit log."""
    return _account_page(str(current_user.public_id))


@bp.get("/parrots/<uuid:account>")
@allow(*BOOKKEEPERS)
def parrot(account: uuid.UUID):
    """Any parrot's account, as the parrot sees it (the drill-down from the balances)."""
    with _runtime().db.reading() as session:
        found = queries.account(session, str(account))
    if found is None:
        abort(404, description=_("Accounting has not heard of this parrot."))
    return _account_page(str(account), parrot=found)


def _balances_filter() -> queries.BalancesFilter:
    """The balances table's search and sort from the query string, or a clear 400."""
    search = (request.args.get("q") or "").strip()
    if len(search) > queries.SEARCH_MAX:
        abort(400, description=_("Search with at most %(num)d characters.", num=queries.SEARCH_MAX))
    sort = request.args.get("sort") or "balance"
    if sort not in queries.BALANCE_SORTS:
        sorts = ", ".join(queries.BALANCE_SORTS)
        abort(400, description=_("sort: use one of %(sorts)s.", sorts=sorts))
    order = request.args.get("order") or "asc"
    if order not in ("asc", "desc"):
        abort(400, description=_("order: use asc or desc."))
    return queries.BalancesFilter(search, sort, order == "desc")


def _company_context(day: date, start: date, end: date) -> dict:
    page, chosen = page_number(request.args), _balances_filter()
    with _runtime().db.reading() as session:
        days = list(queries.every_day(queries.day_totals(session, start, end), start, end))
        # The chosen day is usually within the range shown: no second query for it then.
        totals = {d.billing_day: d for d in days}.get(day) or queries.totals_of_day(session, day)
        return {
            "day": day,
            "today": today(),
            "start": start,
            "end": end,
            "totals": totals,
            "closed": queries.closed_day(session, day),
            "early": _schedule().is_early(day, utcnow()),
            "closes_at": _schedule().due_at(day),
            "zone": _schedule().timezone,
            "days": days,
            "range_total": queries.range_total(days, start),
            # One more than a page tells whether there is a next one, without counting them all.
            "balances": queries.balances(
                session,
                chosen,
                offset=(page - 1) * BALANCES_PER_PAGE,
                limit=BALANCES_PER_PAGE + 1,
            ),
            "balances_total": queries.balances_total(session, chosen),
            "balances_filter": chosen,
            "balances_page": page,
            "balances_per_page": BALANCES_PER_PAGE,
        }


@bp.get("/company")
@allow(*BOOKKEEPERS)
def company():
    """Management's earnings of a day, company totals per day over a range, every balance."""
    start, end = _range()
    context = _company_context(_day("day", today()), start, end)
    fragment = "accounting/_balances.html" if request.args.get("part") == "balances" else None
    return page_or_fragment(
        "accounting/company.html", fragment or "accounting/_company_day.html", **context
    )


def _close_context(day: date, error: str | None = None) -> dict:
    with _runtime().db.reading() as session:
        closed = queries.closed_day(session, day)
        preview = None if closed else queries.close_preview(session, day)
    schedule, begun = _schedule(), day <= today()
    return {
        "day": day,
        "today": today(),
        "closed": closed,
        "preview": preview,
        "early": begun and schedule.is_early(day, utcnow()),
        "closes_at": schedule.due_at(day) if begun else None,
        "next_day": day + timedelta(days=1) if begun else None,
        "zone": schedule.timezone,
        "close_error": error,
    }


@bp.get("/close")
@allow(*BOOKKEEPERS)
def confirm_close():
    """Before closing a day: what the close pays and what it means, or that the day is closed."""
    return page_or_fragment(
        "accounting/close.html",
        "accounting/_close_confirm.html",
        **_close_context(_day("day", today())),
    )


@bp.post("/close")
@allow(*BOOKKEEPERS)
def close_day():
    """Close a billing day, once, as confirmed: pay out positive balances, then show the day."""
    day = _day("day", today())
    schedule, early, by = _schedule(), request.form.get("early") == "yes", current_user.public_id
    try:
        day_close.check_close(schedule, day, utcnow(), early=early)  # before waiting for the books
        result = close_once_caught_up(
            _runtime().db,
            lambda session, now: day_close.close_day(
                session, day, now, schedule=schedule, closed_by=str(by), early=early
            ),
            BUTTON_WAIT_SECONDS,
        )
    except (day_close.CloseRefused, BooksBehind) as refused:
        status = 409 if isinstance(refused, BooksBehind) else 422
        context = _close_context(day, error=_refusal(refused))
        return page_or_fragment(
            "accounting/close.html", "accounting/_close_confirm.html", **context
        ), status
    if result.already_closed:
        already = _("%(day)s was already closed; nothing was paid again.", day=formats.day(day))
        flash(already, "error")
    else:
        flash(_close_message(result), "success")
    target = url_for("accounting.company", day=day.isoformat())
    if is_htmx():
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target, code=303)


def _refusal(refused: day_close.CloseRefused | BooksBehind) -> str:
    """Why the close did not run, in the reader's language."""
    if isinstance(refused, BooksBehind):
        return ngettext(
            "The books are still catching up: %(num)s event published before the close is not "
            "applied yet after waiting %(seconds)s s, so the day was not closed and nothing was "
            "paid. Try again in a minute.",
            "The books are still catching up: %(num)s events published before the close are not "
            "applied yet after waiting %(seconds)s s, so the day was not closed and nothing was "
            "paid. Try again in a minute.",
            refused.behind,
            seconds=round(refused.waited),
        )
    day = formats.day(refused.day)
    if refused.schedule is None:
        return _("%(day)s has not begun yet; a day closes on or after itself.", day=day)
    return _(
        "%(day)s closes on schedule at %(time)s (%(zone)s); closing it before then must be "
        "confirmed as an early close.",
        day=day,
        time=refused.schedule.at.strftime("%H:%M"),
        zone=refused.schedule.timezone,
    )


def _close_message(result: day_close.DayClose) -> str:
    message = ngettext(
        "Closed %(day)s: paid %(num)s parrot, total %(total)s.",
        "Closed %(day)s: paid %(num)s parrots, total %(total)s.",
        result.paid,
        day=formats.day(result.billing_day),
        total=formats.money(result.total),
    )
    if result.waiting_for_email:
        message += " " + ngettext(
            "%(num)s positive balance waits for an e-mail address.",
            "%(num)s positive balances wait for an e-mail address.",
            result.waiting_for_email,
        )
    return message


FORMATS = ("csv", "xlsx")
STATEMENT_DAYS = 31


def _report_routes(view):
    for name in reports.REPORTS:
        for fmt in FORMATS:
            view = bp.get(f"/reports/{name}.{fmt}", defaults={"name": name, "fmt": fmt})(view)
    return view


def _download(report, fmt: str, start: date, end: date, who: str = "") -> Response:
    settings = _runtime().settings
    body = reports.build(_runtime().db, report, fmt, start, end, settings.timezone)
    filename = reports.filename(report, fmt, start, end, who)
    return Response(
        body,
        content_type=reports.CONTENT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@_report_routes
@allow(*BOOKKEEPERS)
def report(name: str, fmt: str):
    """The ledger, the per-day totals or the payouts of a date range, as CSV or XLSX."""
    return _download(reports.REPORTS[name], fmt, *_range())


def _statement(account_id: str, fmt: str) -> Response:
    """One parrot's statement over a range (the last 31 days by default), as CSV or XLSX."""
    start, end = _range(default_days=STATEMENT_DAYS)
    with _runtime().db.reading() as session:
        found = queries.account(session, account_id)
    if found is None:
        abort(404, description=_("Accounting has not heard of this parrot."))
    who = found.login or account_id[:8]
    report_ = reports.statement_report(account_id, found.full_name or who)
    return _download(report_, fmt, start, end, who)


def _in_both_formats(path: str):
    def register(view):
        for fmt in FORMATS:
            view = bp.get(f"{path}.{fmt}", defaults={"fmt": fmt})(view)
        return view

    return register


@_in_both_formats("/statement")
@allow(ANY_ROLE)
def my_statement(fmt: str):
    """The parrot's own statement."""
    return _statement(str(current_user.public_id), fmt)


@_in_both_formats("/parrots/<uuid:account>/statement")
@allow(*BOOKKEEPERS)
def parrot_statement(account: uuid.UUID, fmt: str):
    """Any parrot's statement, for accountants and admins."""
    return _statement(str(account), fmt)


accounting_cli = AppGroup("accounting", help="Accounting: the day close.")


@accounting_cli.command("close-day")
@click.option(
    "--date",
    "day",
    help="The billing day to close, YYYY-MM-DD (default: the day whose scheduled close is due;"
    " with --early, today).",
)
@click.option("--early", is_flag=True, help="Close today before its scheduled time, on purpose.")
def close_day_command(day, early):
    """Close a billing day: pay out positive balances once; a closed day stays closed."""
    runtime = _runtime()
    try:
        billing_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    settings, now = runtime.settings, utcnow()
    schedule = close_schedule(settings.day_close_at, settings.timezone)
    if billing_day is None:
        due = day_to_close(now, settings.day_close_at, settings.timezone)
        billing_day = schedule.today(now) if early else due
    try:
        day_close.check_close(schedule, billing_day, now, early=early)  # before waiting
        result = close_once_caught_up(
            runtime.db,
            lambda session, now: day_close.close_day(
                session, billing_day, now, schedule=schedule, early=early
            ),
            BUTTON_WAIT_SECONDS,
        )
    except day_close.CloseRefused as refused:
        raise click.ClickException(f"{refused} (--early closes today before its time)") from None
    except BooksBehind as behind:
        raise click.ClickException(str(behind)) from None
    if result.already_closed:
        click.echo(f"{result.billing_day} was already closed: nothing was paid again")
        return
    click.echo(
        f"closed {result.billing_day}: paid {result.paid} parrot(s) ${dollars(result.total)}"
        f"; {result.waiting_for_email} positive balance(s) wait for an e-mail address"
    )
