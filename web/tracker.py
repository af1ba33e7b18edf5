"""The tracker's pages: my tasks, a new task, all tasks, and Reassign."""

import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from domains.accounting import queries as accounting_queries
from domains.tracker import commands, queries
from domains.tracker.tables import TITLE_MAX
from outbox.history import published_ids
from web import navigation
from web.access import ANY_ROLE, allow
from web.formats import say
from web.htmx import came_from, is_htmx, page_or_fragment
from web.query import page_number

bp = Blueprint("tracker", __name__, url_prefix="/tasks")
navigation.add("My tasks", "tracker.my_tasks")
navigation.add("All tasks", "tracker.all_tasks")

FORM_FIELDS = ("title", "jira_id", "description")


def _db():
    return current_app.extensions["ates"].db


def _me() -> str:
    return str(current_user.public_id)


@bp.get("/")
@allow(ANY_ROLE)
def my_tasks():
    """My open tasks, a page at a time, and the form to add a task."""
    return _my_tasks_page(page_number(request.args), form={}, errors={})


def _my_tasks_page(page: int, form: dict, errors: dict) -> str:
    """The page of my open tasks, with what each pays (accounting's prices, read by the web
    layer)."""
    with _db().reading() as session:
        mine = queries.open_tasks_of(session, _me(), page=page)
        prices = accounting_queries.prices_of(session, [task.public_id for task in mine.tasks])
    if page > mine.pages:
        abort(400, _no_page(page, mine.pages))
    return render_template(
        "tracker/my_tasks.html", mine=mine, prices=prices, form=form, errors=errors
    )


@bp.get("/new")
@allow(ANY_ROLE)
def new_task():
    """The form to add a task, for every role; results are announced as they come."""
    return render_template("tracker/new_task.html", form={}, errors={})


@bp.get("/<uuid:task>")
@allow(ANY_ROLE)
def task_page(task: uuid.UUID):
    """One task: what it is, what it pays (accounting's price) and its history."""
    with _db().reading() as session:
        view = queries.task(session, str(task))
        if view is None:
            abort(404, _("There is no such task: it may be a typo in the address."))
        history = queries.assignments_of(session, view.public_id)
        created_by = queries.name_of(session, view.created_by)
        price = accounting_queries.price_of(session, view.public_id)
    return render_template(
        "tracker/task.html", task=view, history=history, created_by=created_by, price=price
    )


@bp.post("/")
@allow(ANY_ROLE)
def create():
    """Add a task; it goes to a random parrot. Bad input: 422 with the message by its field."""
    form = {name: request.form.get(name, "") for name in FORM_FIELDS}
    try:
        with _db().transaction() as session:
            row = commands.create_task(session, created_by=_me(), **form)
            task = queries.task(session, row["public_id"])
    except commands.InvalidTask as refused:
        return _form_again(form, refused.errors)
    except commands.NoEligibleAssignee as refused:
        return _form_again(form, {"form": refused.words})
    if not is_htmx():
        flash(
            _(
                "Task “%(title)s” added and assigned to %(name)s.",
                title=task.title,
                name=task.assignee_name,
            ),
            "success",
        )
        return redirect(url_for("tracker.my_tasks"))
    mine = task.assignee == _me() and came_from(url_for("tracker.my_tasks"))
    return render_template("tracker/_created.html", task=task, mine=mine)


def _form_again(form: dict, errors: dict):
    if is_htmx():
        return render_template("tracker/_new_task_form.html", form=form, errors=errors), 422
    return _my_tasks_page(1, form, errors), 422


@bp.post("/<uuid:task>/complete")
@allow(ANY_ROLE)
def complete(task: uuid.UUID):
    """Mark one of my tasks done; anyone else's, or a done one, is refused with a message."""
    error, status = "", 200
    try:
        with _db().transaction() as session:
            commands.complete_task(session, task=str(task), by=_me())
    except commands.CompletionRefused as refused:
        error, status = say(refused.words), 409
    with _db().reading() as session:
        view = queries.task(session, str(task))
    if not is_htmx():
        flash(error or _("Done: %(title)s.", title=view.title), "error" if error else "success")
        return redirect(url_for("tracker.my_tasks"))
    if view is None:
        return render_template("tracker/_gone.html", error=error), status
    return render_template("tracker/_task.html", task=view, error=error), status


@bp.get("/all")
@allow("admin", "manager")
def all_tasks():
    """Every task, filtered by status and by a search for the assignee, a page at a time."""
    status, parrot, text, sort, page = _filters()
    with _db().reading() as session:
        found = queries.all_tasks(
            session, status=status, parrot=parrot, text=text, sort=sort, page=page
        )
    if page > found.pages:
        abort(400, _no_page(page, found.pages))
    return page_or_fragment(
        "tracker/all_tasks.html",
        "tracker/_all_tasks.html",
        found=found,
        status=status or "",
        parrot=parrot or "",
        text=text or "",
        sort=sort,
        parrot_search_length=queries.SEARCH_MAX,
    )


def _no_page(page: int, pages: int) -> str:
    return ngettext(
        "There is no page %(page)d: there is %(num)d page.",
        "There is no page %(page)d: there are %(num)d pages.",
        pages,
        page=page,
    )


def _filters() -> tuple[str | None, str | None, str | None, str, int]:
    """The query string's status, assignee search, title or Jira id search, sort and page, or a
    400 that says what is wrong."""
    args = request.args
    status = args.get("status", "") or None
    if status is not None and status not in queries.STATUSES:
        abort(
            400, _("Unknown status “%(status)s”: use open, done, or leave it empty.", status=status)
        )
    parrot = args.get("parrot", "").strip() or None
    if parrot is not None and len(parrot) > queries.SEARCH_MAX:
        limit = queries.SEARCH_MAX
        abort(400, _("Search with at most %(num)d characters of a login or name.", num=limit))
    text = args.get("q", "").strip() or None
    if text is not None and len(text) > TITLE_MAX:
        abort(
            400, _("Search with at most %(num)d characters of a title or Jira id.", num=TITLE_MAX)
        )
    sort = args.get("sort", "") or queries.DEFAULT_SORT
    if sort.removeprefix("-") not in queries.SORTS:
        sorts = ", ".join(queries.SORTS)
        abort(400, _("Unknown sort “%(sort)s”: sort by %(sorts)s.", sort=sort, sorts=sorts))
    return status, parrot, text, sort, page_number(args)


@bp.get("/reassign")
@allow("admin", "manager")
def confirm_reassign():
    """Before a Reassign: how many open tasks move, among how many parrots, and what it costs."""
    with _db().reading() as session:
        open_tasks, pool = queries.open_count(session), queries.eligible_count(session)
    return render_template("tracker/reassign.html", open_tasks=open_tasks, pool=pool)


@bp.post("/reassign")
@allow("admin", "manager")
def reassign():
    """Shuffle every open task among the eligible parrots (one shuffle at a time), then say
    what moved; the fees it cost follow as accounting books them."""
    try:
        with _db().transaction() as session:
            moved = commands.reassign_open_tasks(session, by=_me())
            # The shuffle still holds its lock: the newest press is this one.
            summary = queries.reassign_summary(session, queries.last_reassign_number(session) or 0)
    except commands.NoEligibleAssignee as refused:
        if not is_htmx():
            flash(say(refused.words), "error")
            return redirect(url_for("tracker.all_tasks"))
        return render_template(
            "tracker/_reassigned.html", message=say(refused.words), failed=True
        ), 409
    if summary is None or not moved:
        message = _("There were no open tasks to reassign.")
        if not is_htmx():
            flash(message, "success")
            return redirect(url_for("tracker.all_tasks"))
        return render_template("tracker/_reassigned.html", message=message, failed=False)
    if not is_htmx():
        return redirect(url_for("tracker.reassigned", number=summary.number), code=303)
    response = make_response(_reassign_summary(summary, "tracker/_reassign_summary.html"))
    response.headers["HX-Trigger"] = "tasks-reassigned"
    return response


@bp.get("/reassigns/<int:number>")
@allow("admin", "manager")
def reassigned(number: int):
    """What one Reassign did: tasks moved, parrots affected, the fees accounting booked."""
    with _db().reading() as session:
        summary = queries.reassign_summary(session, number)
    if summary is None:
        abort(404, description=_("There is no Reassign #%(number)d.", number=number))
    fragment = "tracker/_reassign_fees.html" if request.args.get("part") == "fees" else None
    return _reassign_summary(summary, fragment or "tracker/reassigned.html")


def _reassign_summary(summary, template: str):
    """The summary with the fees accounting has booked for the press so far."""
    with _db().reading() as session:
        causes = published_ids(session, "task.assigned", summary.pressed_at)
        fees = accounting_queries.fees_charged_for(session, causes)
    response = make_response(render_template(template, summary=summary, fees=fees))
    response.vary.add("HX-Request")
    return response
