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
    """Accept `Authorization: JWT <token>` as well as `Bearer <token>` (both are in use), in
    any case: RFC 7235 makes the scheme case-insensitive, Flask-JWT-Extended does not."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        if scheme.lower() in ("bearer", "jwt"):
            environ["HTTP_AUTHORIZATION"] = "Bearer " + token.strip()
        return self.app(environ, start_response)
