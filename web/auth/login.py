"""`/login`, `/logout`, `/sessions` and `/password`: flask-login over the auth domain's login
sessions."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME

from domains.auth import commands, queries
from web.access import ANY_ROLE, allow, public
from web.auth import bp
from web.auth.users import User


def _db():
    return current_app.extensions["ates"].db


def safe_next(target: str | None) -> str | None:
    """A same-site path to go on to after login, or None: never another site."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
        or any(ord(char) < 32 for char in target)
    ):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The login form; on success go on to the same-site `next` page, or home."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("web.home"))
    if request.method == "GET":
        return render_template("auth/login.html", next_url=next_url, login="", error="")
    login_name = request.form.get("login", "")
    with _db().transaction() as db_session:
        outcome = commands.authenticate(db_session, login_name, request.form.get("password", ""))
        account = outcome.account
        if account is not None:
            token = commands.start_session(db_session, account.public_id, request.user_agent.string)
            if chosen := session.get("language"):
                # Picked on the login page: the account's from now on, e-mails included.
                account = commands.choose_language(db_session, account.public_id, chosen)
    if account is None:
        context = dict(next_url=next_url, login=login_name, error=outcome.message)
        page = render_template("auth/login.html", **context)
        if outcome.retry_after:
            return page, 429, {"Retry-After": str(outcome.retry_after)}
        return page, 401
    # A fresh session at login: nothing planted before it (session fixation) survives.
    session.clear()
    login_user(User(account, token), remember=bool(request.form.get("remember")))
    flash(_("Welcome, %(name)s.", name=account.full_name), "success")
    return redirect(next_url or url_for("web.home"))


@bp.post("/logout")
@allow(ANY_ROLE)
def logout():
    """Log out for good: the login session ends, so no copy of its cookies works any more."""
    language = current_user.language or session.get("language")
    with _db().transaction() as db_session:
        commands.end_session(db_session, current_user.session_token)
    session.clear()
    logout_user()  # after the clear: it leaves the note that deletes the remember-me cookie
    if language:
        session["language"] = language  # the login page goes on in the parrot's language
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/sessions")
@allow(ANY_ROLE)
def sessions():
    """Where you are logged in, with a button that logs out every other browser."""
    with _db().reading() as db_session:
        mine = queries.sessions_of(db_session, current_user.public_id, current_user.session_token)
    return render_template("auth/sessions.html", sessions=mine)


@bp.post("/sessions/others/end")
@allow(ANY_ROLE)
def end_other_sessions():
    """Log out every other browser of yours (a lost phone, a shared computer)."""
    with _db().transaction() as db_session:
        ended = commands.end_other_sessions(
            db_session, current_user.public_id, keep=current_user.session_token
        )
    flash(
        ngettext("Logged out %(num)d other session.", "Logged out %(num)d other sessions.", ended),
        "success",
    )
    return redirect(url_for("auth.sessions"))


@bp.route("/password", methods=["GET", "POST"])
@allow(ANY_ROLE)
def change_password():
    """Change your own password: the current one first; every other session then ends."""
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    with _db().transaction() as db_session:
        # The current password is checked like a login: failures count and delay the name.
        check = commands.authenticate(
            db_session, current_user.login, request.form.get("current_password", "")
        )
    if check.account is None:
        wrong = check.message if check.retry_after else _("This is not your current password.")
        page = render_template("auth/password.html", errors={"current_password": wrong})
        return page, 429 if check.retry_after else 422
    try:
        with _db().transaction() as db_session:
            commands.set_password(
                db_session, current_user.public_id, request.form.get("new_password", "")
            )
            token = commands.start_session(
                db_session, current_user.public_id, request.user_agent.string
            )
    except commands.AccountError as refused:
        errors = {"new_password": refused.errors["password"]}
        return render_template("auth/password.html", errors=errors), 422
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
    session.clear()
    login_user(User(check.account, token), remember=remember)
    flash(_("Password changed. Every other browser is logged out."), "success")
    return redirect(url_for("auth.sessions"))
