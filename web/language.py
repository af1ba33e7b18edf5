"""`POST /language`: the interface language, kept on the account (and in the session before
logging in); without a choice the browser's Accept-Language decides."""

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user

from domains.auth import commands
from web.access import public
from web.auth.login import safe_next
from web.formats import LANGUAGES

bp = Blueprint("language", __name__)


@bp.post("/language")
@public
def choose():
    """Switch the language and go back to the page the parrot was on."""
    language = request.form.get("language", "")
    language = language if language in LANGUAGES else None
    session["language"] = language
    if current_user.is_authenticated:
        with current_app.extensions["ates"].db.transaction() as db_session:
            commands.choose_language(db_session, current_user.public_id, language)
    return redirect(safe_next(request.form.get("next")) or url_for("web.home"))
