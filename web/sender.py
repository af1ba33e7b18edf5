"""`/sender`: the admin's view of the payout e-mails — the sent log and the failures to replay."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from ates.database import utcnow
from domains.sender import queries
from outbox import operations
from web import navigation
from web.access import allow
from web.htmx import is_htmx, page_or_fragment

bp = Blueprint("sender", __name__, url_prefix="/sender")
navigation.add("Payout e-mails", "sender.index")

CONSUMER = "sender"


@dataclass(frozen=True)
class Watch:
    """A replayed payout the page follows until its e-mail went out or failed again."""

    payment_id: str
    since: datetime
    message: str = ""
    done: bool = False

    @property
    def url(self) -> str:
        return url_for("sender.index", watch=self.payment_id, since=self.since.isoformat())


@bp.get("/")
@allow("admin")
def index():
    """The sent log and the dead-lettered payouts, refreshed while the page is open."""
    return _log(_watch_from(request.args))


@bp.post("/failures/<int:dead_letter_id>/replay")
@allow("admin")
def replay(dead_letter_id: int):
    """Send one dead-lettered payout to the sender again, once its cause is fixed."""
    runtime = current_app.extensions["ates"]
    since = utcnow()
    count = operations.replay(runtime.db, runtime.send, dead_letter_id=dead_letter_id)
    watch = _watch(request.form.get("payment_id", ""), since) if count else None
    if is_htmx():
        return _log(watch, notice=None if count else _("That failure was already replayed."))
    if not count:
        flash(_("That failure was already replayed."), "error")
    return redirect(watch.url if watch else url_for("sender.index"), code=303)


def _log(watch: Watch | None, notice: str | None = None):
    runtime = current_app.extensions["ates"]
    with runtime.db.reading() as session:
        emails = queries.recent_emails(session)
        counts = queries.counts_by_status(session)
        if watch:
            watch = _follow(watch, queries.email_for(session, watch.payment_id))
    failures = operations.dead_letters_of(runtime.db, CONSUMER)
    return page_or_fragment(
        "sender/index.html",
        "sender/_log.html",
        emails=emails,
        counts=counts,
        failures=failures,
        watch=watch,
        notice=notice,
    )


def _follow(watch: Watch, email: queries.SentEmail | None) -> Watch:
    if email and email.status == "sent" and email.sent_at >= watch.since:
        sent = _("Sent to %(address)s.", address=email.recipient)
        return Watch(watch.payment_id, watch.since, sent, done=True)
    if email and email.status == "failed" and email.last_attempt_at >= watch.since:
        message = _(
            "Failed again (%(error)s); it is retried, then waits here again.",
            error=email.last_error,
        )
        return Watch(watch.payment_id, watch.since, message, done=True)
    return Watch(watch.payment_id, watch.since, _("Replayed: sending the e-mail…"))


def _watch(payment_id: str, since: datetime) -> Watch | None:
    try:
        return Watch(str(uuid.UUID(payment_id)), since)
    except ValueError:
        return None


def _watch_from(args) -> Watch | None:
    try:
        since = datetime.fromisoformat(args.get("since", ""))
    except ValueError:
        return None
    return _watch(args.get("watch", ""), since) if since.tzinfo else None
