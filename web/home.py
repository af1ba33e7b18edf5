"""`/`: the home page of every logged-in parrot, with a way to everything their role may do."""

from flask import Blueprint, render_template, send_from_directory

from web.access import ANY_ROLE, allow, public

bp = Blueprint("web", __name__)


@bp.get("/")
@allow(ANY_ROLE)
def home():
    """Greet the parrot and list the dashboards their role may open."""
    return render_template("home.html")


@bp.get("/favicon.ico")
@public
def favicon():
    """The icon browsers ask for on every page, also on pages that are not HTML."""
    return send_from_directory(bp.root_path + "/static", "favicon.svg", mimetype="image/svg+xml")
