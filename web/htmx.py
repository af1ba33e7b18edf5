"""All HX-* header reading in one place: one URL answers a page or its fragment."""

from urllib.parse import urlsplit

from flask import Flask, Response, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError


def is_htmx() -> bool:
    # History restores ask for the whole page, even though they come from htmx.
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def came_from(path: str) -> bool:
    """Whether the htmx request was sent from the page at `path` (its parts may be updated)."""
    current = urlsplit(request.headers.get("HX-Current-URL", "")).path
    return current == path


def page_or_fragment(page: str, fragment: str, **context):
    """Render the full page, or only its partial for an htmx request."""
    response = make_response(render_template(fragment if is_htmx() else page, **context))
    response.vary.add("HX-Request")
    return response


def current_page() -> str | None:
    """The path and query of the page an htmx request was sent from."""
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    if not parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def send_browser_to(url: str, body: str = "", status: int = 200) -> Response:
    """Make htmx load `url` as a whole page instead of swapping this answer in."""
    response = make_response(body, status)
    response.headers["HX-Redirect"] = url
    return response


def init_app(app: Flask) -> None:
    """An htmx action after the session ended goes to the login page, and back after it."""

    @app.after_request
    def login_as_a_page(response: Response) -> Response:
        if not is_htmx() or not response.location or response.status_code not in (302, 303):
            return response
        # Flask-Login's answer to a request without a session: the login page with `next`.
        target = urlsplit(response.location)
        if target.path != url_for("auth.login") or "next=" not in target.query:
            return response
        return send_browser_to(url_for("auth.login", next=current_page() or request.path))

    @app.errorhandler(CSRFError)
    def expired_form(error: CSRFError):
        if not is_htmx():
            return render_template("error.html", code=400, error=error), 400
        # Refused, nothing done; htmx loads a page instead of pasting an error into this one.
        if not current_user.is_authenticated and current_page():
            # The session ended under an open page: like any page without one, go and log in.
            flash(_("Your session ended. Log in again to go on where you were."), "info")
            return send_browser_to(url_for("auth.login", next=current_page()))
        flash(_("The page was out of date and has been reloaded: please do that again."), "info")
        target = current_page() or url_for("web.home")
        return send_browser_to(target, body=error.description, status=400)
