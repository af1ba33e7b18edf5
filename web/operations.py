"""`/operations`: outbox health for admins, dead-letter replay, and status panels of the domains.

Status panels: a domain's one-glance status (the accounting domain's last day close) is shown
here without the outbox or this page knowing the domain. The composition root registers it:
`add_status_panel(app, "Last day close", accounting.queries.last_day_close)`, where the function
takes a SQLAlchemy session and returns a mapping of label -> value to show (or None: nothing yet).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from outbox import follow, operations
from outbox.monitoring import relayed_per_minute, waiting_dead_letters
from web import navigation
from web.access import allow
from web.htmx import page_or_fragment

bp = Blueprint("operations", __name__)
navigation.add("Operations", "operations.index")

STATUS_PANELS = "ates_status_panels"
REFRESH_SECONDS = 5


@dataclass(frozen=True)
class StatusPanel:
    title: str
    read: Callable[[Session], Mapping[str, object] | None]


def add_status_panel(app: Flask, title: str, read: Callable) -> None:
    """Show `read(session)` (label -> value, or None) under `title` on the operations page."""
    app.extensions.setdefault(STATUS_PANELS, []).append(StatusPanel(title, read))


def _panel(db, panel: StatusPanel) -> dict:
    try:  # each panel reads on its own, so one failed statement spoils no other
        with db.reading() as session:
            return {"title": panel.title, "shown": panel.read(session), "error": None}
    except Exception as error:  # one broken panel must not take the page down
        current_app.logger.exception("status panel %s failed", panel.title)
        return {"title": panel.title, "shown": None, "error": f"{type(error).__name__}: {error}"}


def age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@bp.get("/operations")
@allow("admin")
def index():
    """Outbox figures (polled every few seconds), dead letters with Replay, status panels."""
    runtime = current_app.extensions["ates"]
    settings = runtime.settings
    outbox = operations.status(runtime.db)
    with runtime.db.reading() as session:
        minutes = relayed_per_minute(session)
        letters = waiting_dead_letters(session)
    panels = [_panel(runtime.db, p) for p in current_app.extensions.get(STATUS_PANELS, [])]
    return page_or_fragment(
        "operations/index.html",
        "operations/_figures.html",
        outbox=outbox,
        oldest_age=age(outbox.oldest_pending_age_seconds),
        troubles=outbox.troubles(settings.healthy_lag_seconds, settings.healthy_dead_letters),
        redeliver_after=age(settings.redeliver_after_seconds),
        age=age,
        minutes=minutes,
        letters=letters,
        panels=panels,
        refresh_seconds=REFRESH_SECONDS,
    )


def _replay(**which) -> int | None:
    runtime = current_app.extensions["ates"]
    try:
        return operations.replay(runtime.db, runtime.send, **which)
    except KeyError as error:
        flash(
            _("No consumer %(name)s runs in this app; nothing was replayed.", name=error), "error"
        )
        return None


@bp.post("/operations/dead-letters/<int:dead_letter_id>/replay")
@allow("admin")
def replay_dead_letter(dead_letter_id: int):
    """Send one dead letter to its consumer again."""
    count = _replay(dead_letter_id=dead_letter_id)
    if count:
        flash(
            _("Dead letter #%(id)d was sent to its consumer again.", id=dead_letter_id), "success"
        )
    elif count == 0:
        flash(_("Dead letter #%(id)d is not waiting for a replay.", id=dead_letter_id), "error")
    return redirect(url_for("operations.index"))


@bp.post("/operations/consumers/<consumer>/replay")
@allow("admin")
def replay_consumer(consumer: str):
    """Send every waiting dead letter of one consumer again."""
    count = _replay(consumer=consumer)
    if count:
        flash(
            ngettext(
                "%(num)d dead letter of %(consumer)s was sent to it again.",
                "%(num)d dead letters of %(consumer)s were sent to it again.",
                count,
                consumer=consumer,
            ),
            "success",
        )
    elif count == 0:
        flash(_("%(consumer)s has no dead letters waiting.", consumer=consumer), "error")
    return redirect(url_for("operations.index"))


@bp.get("/operations/follow")
@allow("admin")
def follow_click():
    """Every event a request caused, and when each subscriber handled it ("where is my reward?")."""
    wanted = request.args.get("id", "").strip()
    causes, problem = [], None
    if not wanted:
        problem = _("Give a task id, an event id or a request id.")
    elif len(wanted) > 64:
        problem = _("That is longer than any id aTES hands out (64 characters at most).")
    else:
        with current_app.extensions["ates"].db.reading() as session:
            causes = follow.follow(session, wanted)
        if not causes:
            problem = _("No event was caused by, keyed by or named %(id)s.", id=wanted)
    return render_template("operations/follow.html", wanted=wanted, causes=causes, problem=problem)
