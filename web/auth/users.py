"""flask-login wiring: `current_user` is the logged-in account, read through the auth queries."""

from flask import Flask, current_app
from flask_login import LoginManager, UserMixin

from domains.auth import queries


class User(UserMixin):
    """What `current_user` offers: public_id, login, full_name, email, role."""

    def __init__(self, account: queries.Account):
        self.public_id = account.public_id
        self.login = account.login
        self.full_name = account.full_name
        self.email = account.email
        self.role = account.role
        self.active = account.active

    def get_id(self) -> str:
        return self.public_id

    @property
    def is_active(self) -> bool:
        return self.active


def _load_user(public_id: str) -> User | None:
    with current_app.extensions["ates"].db.reading() as session:
        account = queries.account(session, public_id)
    # A deactivated account is logged out on its next request, remember-me cookie or not.
    return User(account) if account and account.active else None


def init_login(app: Flask) -> LoginManager:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "Log in to open that page."
    manager.login_message_category = "info"
    # "basic" marks a session from a new address as not fresh instead of dropping it, which
    # keeps remember-me working for parrots whose address changes; "strong" would log them out.
    manager.session_protection = "basic"
    manager.user_loader(_load_user)
    manager.init_app(app)
    return manager
