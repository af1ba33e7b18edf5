"""`/`: each parrot's dashboard: the figures of their role, and a way to everything it may do."""

from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import current_user

from ates.database import utcnow
from domains.accounting import queries as accounting
from domains.accounting.rules import billing_day_of
from domains.tracker import queries as tracker
from outbox.operations import status
from web.access import ANY_ROLE, allow, public

bp = Blueprint("web", __name__)

TASK_TAKERS = ("worker", "accountant")  # the roles that are given tasks
SHUFFLERS = ("manager", "admin")
HOME_TASKS = 8  # the newest open tasks shown on the home page; "My tasks" has them all
BOOKKEEPERS = ("accountant", "admin")


@bp.get("/")
@allow(ANY_ROLE)
def home():
    """The dashboard of the parrot's role, and links to every page the role may open."""
    runtime = current_app.extensions["ates"]
    role, me = current_user.role, str(current_user.public_id)
    today = billing_day_of(utcnow(), runtime.settings.timezone)
    figures: dict = {"today": today}
    with runtime.db.reading() as session:
        if role in TASK_TAKERS:
            mine = tracker.open_tasks_of(session, me, page_size=HOME_TASKS)
            figures["my_tasks"] = mine
            figures["prices"] = accounting.prices_of(session, [t.public_id for t in mine.tasks])
            figures["balance"] = accounting.balance_of(session, me)
        if role in SHUFFLERS:
            figures["open_tasks"] = tracker.open_count(session)
            figures["last_reassign"] = tracker.last_reassign(session)
        if role in BOOKKEEPERS:
            figures["day"] = accounting.totals_of_day(session, today)
            figures["last_close"] = accounting.latest_close(session)
    if role == "admin":
        figures["outbox"] = status(runtime.db)
    return render_template("home.html", **figures)


@bp.get("/favicon.ico")
@public
def favicon():
    """The icon browsers ask for on every page, also on pages that are not HTML."""
    return send_from_directory(bp.root_path + "/static", "favicon.svg", mimetype="image/svg+xml")
