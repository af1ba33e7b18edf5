"""One declared access rule per route: who may open it.

`@allow("admin", "manager")` names roles; `@allow(ANY_ROLE)` any logged-in parrot; `@public`
anyone, logged in or not. A route without a rule is refused at startup (`check_every_route`).
"""

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from web.htmx import is_htmx

ROLES = ("admin", "manager", "accountant", "worker")
ANY_ROLE = "*"
PUBLIC = "public"

RULES: dict[str, frozenset[str]] = {}  # view function qualname -> allowed roles


def _key(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def allow(*roles: str):
    unknown = set(roles) - set(ROLES) - {ANY_ROLE}
    if unknown or not roles:
        raise ValueError(f"unknown roles in access rule: {sorted(unknown) or 'none given'}")
    allowed = frozenset(ROLES) if ANY_ROLE in roles else frozenset(roles)

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_login()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        RULES[_key(guarded)] = allowed
        return guarded

    return decorate


def _to_login():
    # An htmx request would follow a redirect inside the page and swap the login form into a
    # fragment; HX-Redirect makes htmx load the login page as the whole page instead.
    target = request.full_path.rstrip("?")
    if is_htmx():
        target = request.headers.get("HX-Current-URL") or target
        return "", 204, {"HX-Redirect": url_for("auth.login", next=_same_site_path(target))}
    return redirect(url_for("auth.login", next=target))


def _same_site_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def public(view):
    RULES[_key(view)] = frozenset({PUBLIC})
    return view


def rule_for(app: Flask, endpoint: str) -> frozenset[str] | None:
    view = app.view_functions[endpoint]
    return RULES.get(_key(view))


def may_open(endpoint: str, app: Flask, role: str | None) -> bool:
    """Whether a parrot of this role (None: anonymous) may open the endpoint; for navigation."""
    allowed = rule_for(app, endpoint) or frozenset()
    return PUBLIC in allowed or (role is not None and role in allowed)


def check_every_route(app: Flask) -> None:
    missing = sorted(
        endpoint
        for endpoint in app.view_functions
        if endpoint != "static" and rule_for(app, endpoint) is None
    )
    if missing:
        raise RuntimeError(f"routes without an access rule: {', '.join(missing)}")
