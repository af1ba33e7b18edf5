"""`/`: the home page of every logged-in parrot, with a way to everything their role may do."""

from flask import Blueprint, render_template

from web import navigation
from web.access import ANY_ROLE, allow

bp = Blueprint("web", __name__)
navigation.add("Home", "web.home")


@bp.get("/")
@allow(ANY_ROLE)
def home():
    """Greet the parrot and list the dashboards their role may open."""
    return render_template("home.html")
