"""Routes of the main blueprint."""

from flask import render_template

from webapp.main import bp


@bp.route("/")
def index():
    """The landing page."""
    return render_template("main/index.html")
