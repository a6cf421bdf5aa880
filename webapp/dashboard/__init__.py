"""The login-tracking dashboards: personal, and admin analytics."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from webapp.dashboard import admin, routes  # noqa: E402,F401
