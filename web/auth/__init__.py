"""The auth blueprint: login and logout, the admin's account pages, and `flask auth ...`."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from web.auth import accounts, login  # noqa: E402, F401  (registers the views on bp)
from web.auth.cli import auth_cli  # noqa: E402, F401
from web.auth.users import init_login  # noqa: E402, F401
