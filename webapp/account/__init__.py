"""Account pages: overview and password change."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from webapp.account import mfa_routes, passkey_routes, routes, security_routes  # noqa: E402,F401
