"""Sign-in flows: register, verify, log in and out, forgotten password, unlock."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from webapp.auth import alert_routes, mfa_routes, passkey_routes, routes  # noqa: E402,F401
