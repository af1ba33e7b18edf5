"""What every request and response goes through: security headers, the same-origin check for
state-changing requests, and the refusal of control characters in any input.

The threat model behind each one is docs/security.md.
"""

import re
from urllib.parse import urlsplit

from flask import Flask, abort, render_template, request
from flask_babel import gettext as _
from flask_talisman import Talisman

from web.htmx import is_htmx

# Scripts and styles only from our own static files: no inline script, style or eval. Images may
# be data: URIs (stylesheets draw small icons that way); nothing may frame a page of ours.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# C0 controls and DEL, except tab, line feed and carriage return (a task description has lines).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def init_app(app: Flask, *, production: bool) -> None:
    Talisman(
        app,
        # TLS ends at the proxy, which redirects plain HTTP; a load balancer's health check
        # over HTTP must still get an answer, so the app itself never redirects.
        force_https=False,
        strict_transport_security=production,
        session_cookie_secure=production,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
    )
    app.before_request(refuse_other_origins)
    app.before_request(refuse_control_characters)


def refuse_other_origins():
    """A state-changing request from a page of another site is refused, over HTTP too.

    Browsers send Origin with every POST; a request without one (curl, an old browser) still
    needs its CSRF token. The host is compared, not the scheme: behind a TLS proxy the scheme
    is only known when the proxy is trusted (ProxyFix), and HSTS keeps browsers on HTTPS.
    """
    if request.method not in UNSAFE_METHODS:
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    if origin == "null" or urlsplit(origin).netloc != request.host:
        abort(403, description=_("This request came from another site, so it was not carried out."))
    return None


def refuse_control_characters():
    """Any form field, search or query parameter with a control character (NUL...) is refused
    with 422 before a view sees it: nothing is saved, and the parrot is told which field."""
    for source in (request.args, request.form):
        for name, values in source.lists():
            bad = next((v for v in (name, *values) if CONTROL_CHARACTER.search(v)), None)
            if bad is not None:
                return _refused(name, CONTROL_CHARACTER.search(bad).group())
    return None


def _refused(field: str, character: str):
    message = _(
        "The field “%(field)s” contains a control character (U+%(code)04X), which no field "
        "accepts. Nothing was changed.",
        field=CONTROL_CHARACTER.sub("", field)[:40],
        code=ord(character),
    )
    if is_htmx():
        # The fragment the request expected would be replaced by the error; show it on top of
        # the page instead and leave the rest as it was.
        note = render_template("_refused_input.html", message=message)
        return note, 422, {"HX-Retarget": "main", "HX-Reswap": "afterbegin"}
    abort(422, description=message)
