"""The JSON API (see API.md); the contract's endpoints arrive with the API issue."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from webapp.api import routes  # noqa: E402,F401
