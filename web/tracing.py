"""Every request is a cause: events it publishes carry its id, and the response names it."""

from flask import Flask, g, request

from outbox import tracing

HEADER = "X-Request-ID"


def init_app(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_name_it)
    app.teardown_request(_end)


def _begin() -> None:
    # A proxy's id is kept when it is short and plain, so its logs and ours line up.
    given = request.headers.get(HEADER, "")
    request_id = given if tracing.ACCEPTABLE.match(given) else tracing.new_id("req")
    g.request_id = request_id
    g.cause_token = tracing.begin(request_id)


def _name_it(response):
    if request_id := g.get("request_id"):
        response.headers[HEADER] = request_id
    return response


def _end(_error=None) -> None:
    if (token := g.pop("cause_token", None)) is not None:
        tracing.end(token)
