"""One way to show money, days and times, in the parrot's language (Flask-Babel).

Money is integer cents shown as US dollars in the locale's way; every time is shown in the
company's zone with the zone's name; the language is the account's choice, else the browser's.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import Flask, request, session
from flask_babel import Babel, format_currency, format_date, format_datetime, get_locale, gettext
from flask_login import current_user

from ates.words import Words

LANGUAGES = {"en": "English", "ru": "Русский"}


def select_language() -> str:
    """The account's choice, else this browser session's, else the browser's language."""
    for chosen in (getattr(current_user, "language", None), session.get("language")):
        if chosen in LANGUAGES:
            return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def money(cents: int) -> str:
    """150050 -> `$1,500.50` (English), `1 500,50 $` (Russian); negatives with a minus."""
    return format_currency(Decimal(int(cents)).scaleb(-2), "USD")


def say(message: str | date) -> str:
    """A domain's message (`ates.words.Words`) in the reader's language, a billing day in its
    way of writing days; a plain one as it is."""
    if isinstance(message, Words):
        return gettext(
            message.template, **{name: say(value) for name, value in message.values.items()}
        )
    if type(message) is date:
        return day(message)
    return message


def when(moment: datetime) -> str:
    """A moment in the company's zone, to the minute, with the zone: `29 Nov 2026, 08:30 UTC`."""
    return format_datetime(moment, "d MMM y, HH:mm zzz")


def day(value: date) -> str:
    """A billing day: `Sun, 29 Nov 2026`."""
    return format_date(value, "EEE, d MMM y")


def neighbour_days(value: date) -> tuple[date, date]:
    """The billing days before and after one (the pages' previous/next links)."""
    return value - timedelta(days=1), value + timedelta(days=1)


def init_app(app: Flask, timezone: str) -> None:
    app.config.update(BABEL_DEFAULT_TIMEZONE=timezone, BABEL_DEFAULT_LOCALE="en")
    Babel(app, locale_selector=select_language)
    app.add_template_filter(money, "money")
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(say, "say")
    app.add_template_global(neighbour_days)
    app.context_processor(lambda: {"languages": LANGUAGES, "language": str(get_locale())})
