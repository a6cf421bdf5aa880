"""Flask-JWT-Extended wiring: one 401 body, session-backed revocation, both header schemes."""

from __future__ import annotations

from flask import g, jsonify

from webapp.api import bp
from webapp.api.common import ApiError, api_error_response
from webapp.extensions import csrf, jwt
from webapp.services.api_tokens import load_session_user

UNAUTHORIZED = {"message": "Token is invalid or expired"}

csrf.exempt(bp)  # the API uses JWT double-submit CSRF for cookies, and none for headers
bp.register_error_handler(ApiError, api_error_response)


def _unauthorized(*_args):
    return jsonify(UNAUTHORIZED), 401


for loader in (
    jwt.unauthorized_loader,
    jwt.invalid_token_loader,
    jwt.expired_token_loader,
    jwt.revoked_token_loader,
    jwt.user_lookup_error_loader,
    jwt.needs_fresh_token_loader,
):
    loader(_unauthorized)


@jwt.token_in_blocklist_loader
def _revoked(_header, payload) -> bool:
    """A token is dead when its session is revoked or expired, or its user inactive or gone.

    One joined query per request; the user lookup below reuses its result.
    """
    g.jwt_user = load_session_user(payload.get("sid"))
    return g.jwt_user is None or str(g.jwt_user.id) != payload.get("sub")


@jwt.user_lookup_loader
def _user(_header, payload):
    return g.get("jwt_user")


class AuthSchemeMiddleware:
    """Accept `Authorization: JWT <token>` as well as `Bearer <token>` (both are in use)."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header[:4].lower() == "jwt ":
            environ["HTTP_AUTHORIZATION"] = "Bearer " + header[4:].strip()
        return self.app(environ, start_response)
