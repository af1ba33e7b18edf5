"""Analytics for admins: today's figures, and earnings and most expensive tasks over a range."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request

from domains.analytics import queries
from web import navigation
from web.access import allow
from web.analytics.present import earnings_chart, range_label
from web.htmx import page_or_fragment
from web.query import date_range

bp = Blueprint("analytics", __name__, url_prefix="/analytics")
navigation.add("Analytics", "analytics.dashboard")

DEFAULT_RANGE_DAYS = 7
MAX_RANGE_DAYS = 92


@bp.context_processor
def helpers():
    return {"range_label": range_label}


def company_today() -> date:
    zone = ZoneInfo(current_app.extensions["ates"].settings.timezone)
    return datetime.now(zone).date()


def parse_range(args, today: date) -> tuple[date, date, dict[str, str]]:
    """The chosen range (default: the last seven days), and what is wrong with it."""
    return date_range(args, today, default_days=DEFAULT_RANGE_DAYS, max_days=MAX_RANGE_DAYS)


@bp.get("/")
@allow("admin")
def dashboard():
    """Today's earnings, parrots in the red and most expensive tasks; a range with its chart."""
    today = company_today()
    start, end, errors = parse_range(request.args, today)
    with current_app.extensions["ates"].db.reading() as session:
        headline = queries.today_figures(session, today)
        figures = None if errors else queries.range_figures(session, start, end)
    response = page_or_fragment(
        "analytics/dashboard.html",
        "analytics/_range.html",
        today=headline,
        figures=figures,
        chart=earnings_chart(figures.earnings_by_day) if figures else None,
        start=request.args.get("start", start.isoformat()),
        end=request.args.get("end", end.isoformat()),
        errors=errors,
        max_range_days=MAX_RANGE_DAYS,
    )
    if errors:
        response.status_code = 400
    return response
