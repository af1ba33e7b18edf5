"""`/sender`: the admin's view of the payout e-mails — the sent log and the failures to replay."""

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, url_for

from domains.sender import queries
from domains.sender.message import dollars
from outbox import operations
from web import navigation
from web.access import allow
from web.htmx import is_htmx, page_or_fragment

bp = Blueprint("sender", __name__, url_prefix="/sender")
navigation.add("E-mails", "sender.index")

CONSUMER = "sender"


def _log(notice: str | None = None):
    runtime = current_app.extensions["ates"]
    with runtime.db.transaction() as session:
        emails = queries.recent_emails(session)
        counts = queries.counts_by_status(session)
    failures = operations.waiting_dead_letters(runtime.db, CONSUMER)
    return page_or_fragment(
        "sender/index.html",
        "sender/_log.html",
        emails=emails,
        counts=counts,
        failures=failures,
        notice=notice,
        dollars=dollars,
        zone=ZoneInfo(runtime.settings.timezone),
    )


@bp.get("/")
@allow("admin")
def index():
    """The sent log and the dead-lettered payouts, refreshed while the page is open."""
    return _log()


@bp.post("/failures/<int:dead_letter_id>/replay")
@allow("admin")
def replay(dead_letter_id: int):
    """Send one dead-lettered payout to the sender again, once its cause is fixed."""
    runtime = current_app.extensions["ates"]
    count = operations.replay(runtime.db, runtime.send, dead_letter_id=dead_letter_id)
    notice = (
        "Replayed: the e-mail is being sent again; its row below shows how it went."
        if count
        else "That failure was already replayed."
    )
    if is_htmx():
        return _log(notice)
    flash(notice, "success" if count else "error")
    return redirect(url_for("sender.index"), code=303)
