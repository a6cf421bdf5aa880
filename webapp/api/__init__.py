"""The JSON API (API.md): JWT in HTTP-only cookies or Authorization headers."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from webapp.api import (  # noqa: E402,F401
    acquisition,
    dashboard,
    docs,
    jwt_setup,
    mfa,
    passkeys,
    routes,
    security,
    users,
)
