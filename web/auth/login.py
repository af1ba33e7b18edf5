"""`/login` and `/logout`: flask-login sessions over the auth domain's `authenticate`."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from domains.auth import commands
from web.access import ANY_ROLE, allow, public
from web.auth import bp
from web.auth.users import User


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
    with current_app.extensions["ates"].db.transaction() as db_session:
        outcome = commands.authenticate(db_session, login_name, request.form.get("password", ""))
    if outcome.account is None:
        status = 429 if "locked" in outcome.message else 401
        context = dict(next_url=next_url, login=login_name, error=outcome.message)
        return render_template("auth/login.html", **context), status
    # A fresh session at login: nothing planted before it (session fixation) survives.
    session.clear()
    login_user(User(outcome.account), remember=bool(request.form.get("remember")))
    flash(f"Welcome, {outcome.account.full_name}.", "success")
    return redirect(next_url or url_for("web.home"))


@bp.post("/logout")
@allow(ANY_ROLE)
def logout():
    """Log out, forget the session and the remember-me cookie."""
    session.clear()
    logout_user()  # after the clear: it leaves the note that deletes the remember-me cookie
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
