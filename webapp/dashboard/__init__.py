"""The personal login-tracking dashboard."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from webapp.dashboard import routes  # noqa: E402,F401
