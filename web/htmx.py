"""All HX-* header reading in one place: one URL answers a page or its fragment."""

from urllib.parse import urlsplit

from flask import make_response, render_template, request


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
