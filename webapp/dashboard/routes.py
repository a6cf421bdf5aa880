"""Routes of the dashboard blueprint."""

from flask import render_template
from flask_login import current_user, login_required

from webapp.dashboard import bp
from webapp.services.history import recent_attempts


@bp.route("/")
@login_required
def index():
    """Your recent sign-in attempts."""
    return render_template("dashboard/index.html", attempts=recent_attempts(current_user.id, 20))
