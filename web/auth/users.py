"""flask-login wiring: `current_user` is the account of a live login session.

The cookies carry a login session's token, not the account id (flask-login's alternative id),
so ending the session row logs that browser out for good, remember-me cookie included.
"""

from flask import Flask, current_app
from flask_babel import gettext
from flask_login import LoginManager, UserMixin

from domains.auth import queries


class User(UserMixin):
    """What `current_user` offers: public_id, login, full_name, email, role, session_token."""

    def __init__(self, account: queries.Account, session_token: str):
        self.public_id = account.public_id
        self.login = account.login
        self.full_name = account.full_name
        self.email = account.email
        self.role = account.role
        self.language = account.language
        self.active = account.active
        self.session_token = session_token

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active


def _load_user(session_token: str) -> User | None:
    with current_app.extensions["ates"].db.reading() as session:
        account = queries.account_of_session(session, session_token)
    # An ended session, an expired one or a deactivated account: logged out on this request.
    return User(account, session_token) if account else None


def init_login(app: Flask) -> LoginManager:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "Log in to open that page."
    manager.login_message_category = "info"
    manager.localize_callback = gettext  # the message in the parrot's language
    # "basic" marks a session from a new address as not fresh instead of dropping it, which
    # keeps remember-me working for parrots whose address changes; "strong" would log them out.
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    manager.init_app(app)
    return manager
