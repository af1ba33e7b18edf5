"""The admin's account pages: list and search, create, edit, change role, (de)activate."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from domains.auth import commands, queries
from domains.auth.tables import ROLES
from web import navigation
from web.access import allow
from web.auth import bp
from web.htmx import page_or_fragment

navigation.add("Accounts", "auth.accounts")


def _db():
    return current_app.extensions["ates"].db


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


@bp.get("/accounts")
@allow("admin")
def accounts():
    """Every account, searchable by login, name or e-mail (htmx refreshes only the rows)."""
    search = request.args.get("q", "")
    with _db().reading() as session:
        found = queries.accounts_list(session, search)
    return page_or_fragment("auth/accounts.html", "auth/_rows.html", accounts=found, q=search)


@bp.route("/accounts/new", methods=["GET", "POST"])
@allow("admin")
def new_account():
    """Open an account with an initial password; refused fields are marked, nothing saved."""
    values = _form("login", "full_name", "email", "role", "password")
    if request.method == "GET":
        values["role"] = "worker"
        return render_template("auth/new.html", values=values, errors={}, roles=ROLES)
    try:
        with _db().transaction() as session:
            account = commands.create_account(session, **values)
    except commands.AccountError as error:
        values["password"] = ""
        page = render_template("auth/new.html", values=values, errors=error.errors, roles=ROLES)
        return page, 422
    flash(_("Account %(login)s created.", login=account.login), "success")
    return redirect(url_for("auth.account", public_id=account.public_id))


@bp.route("/accounts/<uuid:public_id>", methods=["GET", "POST"])
@allow("admin")
def account(public_id):
    """One account: edit its full name and e-mail, change its role, (de)activate it."""
    with _db().reading() as session:
        found = queries.account(session, str(public_id))
    if found is None:
        abort(404)
    if request.method == "GET":
        return _account_page(found)
    values = _form("full_name", "email")
    try:
        with _db().transaction() as session:
            commands.update_account(session, found.public_id, **values)
    except commands.AccountError as error:
        return _account_page(found, values=values, errors=error.errors), 422
    flash(_("%(login)s: name and e-mail saved.", login=found.login), "success")
    return redirect(url_for("auth.account", public_id=found.public_id))


@bp.post("/accounts/<uuid:public_id>/role")
@allow("admin")
def change_role(public_id):
    """Give the account another role (never your own: an admin must not lock themselves out)."""
    found = _existing(public_id)
    role = request.form.get("role", "")
    if found.public_id == current_user.public_id:
        return _account_page(found, errors={"role": _("You cannot change your own role.")}), 422
    try:
        with _db().transaction() as session:
            commands.change_role(session, found.public_id, role)
    except commands.AccountError as error:
        return _account_page(found, errors=error.errors), 422
    flash(_("%(login)s is now %(role)s.", login=found.login, role=_(role)), "success")
    return redirect(url_for("auth.account", public_id=found.public_id))


@bp.post("/accounts/<uuid:public_id>/deactivate")
@allow("admin")
def deactivate(public_id):
    """No more login and no new tasks for this account."""
    found = _existing(public_id)
    if found.public_id == current_user.public_id:
        errors = {"active": _("You cannot deactivate yourself.")}
        return _account_page(found, errors=errors), 422
    if found.active:
        with _db().transaction() as session:
            commands.deactivate(session, found.public_id)
    flash(_("%(login)s is deactivated.", login=found.login), "success")
    return redirect(url_for("auth.account", public_id=found.public_id))


@bp.post("/accounts/<uuid:public_id>/reactivate")
@allow("admin")
def reactivate(public_id):
    """Let a deactivated account log in and take tasks again."""
    found = _existing(public_id)
    if not found.active:
        with _db().transaction() as session:
            commands.reactivate(session, found.public_id)
    flash(_("%(login)s is active again.", login=found.login), "success")
    return redirect(url_for("auth.account", public_id=found.public_id))


def _existing(public_id) -> queries.Account:
    with _db().reading() as session:
        found = queries.account(session, str(public_id))
    if found is None:
        abort(404)
    return found


def _account_page(found, values=None, errors=None):
    values = values or {"full_name": found.full_name, "email": found.email}
    return render_template(
        "auth/account.html",
        account=found,
        values=values,
        errors=errors or {},
        roles=ROLES,
        is_self=found.public_id == current_user.public_id,
    )
