"""The navigation, built from the access rules: each role sees only what it may open.

A blueprint adds its dashboard with one line at import time:
`navigation.add("Tasks", "tracker.index")`. The menu follows the parrot's day (`MENU_ORDER`);
entries not named there come last, in the order they were added.
"""

from flask import Flask, url_for
from flask_login import current_user

from web.access import may_open

ITEMS: list[tuple[str, str]] = [("Home", "web.home")]  # (label, endpoint); home comes first


MENU_ORDER = (
    "web.home",
    "tracker.my_tasks",
    "accounting.mine",
    "tracker.all_tasks",
    "accounting.company",
    "analytics.dashboard",
    "auth.accounts",
    "sender.index",
    "events.catalog_page",
    "operations.index",
)


def add(label: str, endpoint: str) -> None:
    if (label, endpoint) not in ITEMS:
        ITEMS.append((label, endpoint))
        ITEMS.sort(key=lambda item: _place(item[1]))


def _place(endpoint: str) -> int:
    return MENU_ORDER.index(endpoint) if endpoint in MENU_ORDER else len(MENU_ORDER)


def items_for(app: Flask, role: str | None) -> list[tuple[str, str, str]]:
    """(label, url, endpoint) of every entry this role may open."""
    return [
        (label, url_for(endpoint), endpoint)
        for label, endpoint in ITEMS
        if endpoint in app.view_functions and may_open(endpoint, app, role)
    ]


def init_app(app: Flask) -> None:
    """Every template gets `navigation`: the entries the current parrot may open."""

    @app.context_processor
    def navigation_for_current_user():
        role = current_user.role if current_user.is_authenticated else None
        return {"navigation": items_for(app, role)}
