"""Passkey and re-authentication endpoints of the API (API.md, "Passkeys (WebAuthn)")."""

from __future__ import annotations

from flask import jsonify, request

from webapp.api import bp
from webapp.api.common import (
    NOT_FOUND,
    ApiError,
    api_auth,
    credential_field,
    json_body,
    me,
    require_recent_auth,
    text_field,
)
from webapp.api.docs import SCHEMAS, doc
from webapp.api.mfa import signed_in
from webapp.extensions import db, limiter
from webapp.hooks import current_attempt
from webapp.services import auth, mfa, passkeys, reauth
from webapp.web import client_ip, config_limit, device_cookie

OPTIONS_LIMIT = "30 per minute"
LOGIN_REFUSED = {"error": "Invalid passkey."}
EXPIRED = {"error": "This passkey request expired. Begin again."}

SCHEMAS.update(
    {
        "PasskeyCreationOptions": {"type": "object", "additionalProperties": True},
        "PasskeyRegister": {
            "type": "object",
            "properties": {"credential": {"type": "object"}, "name": {"type": "string"}},
        },
        "Passkey": {
            "type": "object",
            "required": ["id", "name", "created_at"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "last_used_at": {"type": "string", "format": "date-time", "nullable": True},
            },
        },
        "PasskeyList": {"type": "array", "items": {"$ref": "#/components/schemas/Passkey"}},
        "PasskeyRename": {"type": "object", "properties": {"name": {"type": "string"}}},
        "PasskeyLoginBegin": {
            "type": "object",
            "properties": {"email": {"type": "string"}, "mfa_token": {"type": "string"}},
        },
        "PasskeyChallenge": {
            "type": "object",
            "required": ["challenge_id", "options"],
            "properties": {"challenge_id": {"type": "string"}, "options": {"type": "object"}},
        },
        "PasskeyAssertion": {
            "type": "object",
            "properties": {"challenge_id": {"type": "string"}, "credential": {"type": "object"}},
        },
        "Reauth": {
            "type": "object",
            "properties": {
                "method": {"type": "string", "enum": list(reauth.METHODS)},
                "password": {"type": "string"},
                "code": {"type": "string"},
                "challenge_id": {"type": "string"},
                "credential": {"type": "object"},
            },
        },
    }
)


@bp.route("/user/passkeys/register/begin/", methods=["POST"])
@api_auth()
@limiter.limit(OPTIONS_LIMIT)
@doc(
    "Begin adding a passkey",
    responses={200: "PasskeyCreationOptions", 401: "Unauthorized"},
    auth=True,
)
def passkeys_register_begin():
    """PublicKeyCredentialCreationOptions as JSON (base64url); needs a recent factor check."""
    require_recent_auth()
    _, options = passkeys.registration_options(me())
    db.session.commit()
    return jsonify(options)


@bp.route("/user/passkeys/register/finish/", methods=["POST"])
@api_auth()
@doc(
    "Finish adding a passkey",
    body="PasskeyRegister",
    responses={201: "Passkey", 400: "Error", 401: "Unauthorized"},
    auth=True,
)
def passkeys_register_finish():
    """Store the passkey the browser created for the begun registration."""
    require_recent_auth()
    data = json_body()
    credential = credential_field(data)
    name = text_field(data, "name", max_length=passkeys.NAME_MAX)
    row, error = passkeys.register(me(), credential, name)
    if row is None:
        db.session.rollback()
        raise ApiError(400, {"error": error})
    db.session.commit()
    return jsonify({k: v for k, v in passkeys.as_dict(row).items() if k != "last_used_at"}), 201


@bp.route("/user/passkeys/")
@api_auth()
@doc("Your passkeys", responses={200: "PasskeyList"}, auth=True)
def passkeys_list():
    """Your passkeys with created and last-used times."""
    return jsonify([passkeys.as_dict(row) for row in passkeys.of_user(me().id)])


@bp.route("/user/passkeys/<int(max=2147483647):passkey_id>/", methods=["PATCH", "DELETE"])
@api_auth()
@doc(
    "Rename (PATCH) or remove (DELETE) a passkey",
    body="Password",
    responses={200: "Passkey", 204: "Empty", 400: "Error", 401: "Unauthorized", 404: "Error"},
    path_params={"passkey_id": "integer"},
    auth=True,
)
def passkey_one(passkey_id: int):
    """PATCH {"name"} renames; DELETE {"password"} removes (a right password counts as the
    recent check; without one, the session needs a recent check)."""
    user = me()
    data = json_body()
    if passkeys.owned(user, passkey_id) is None:
        raise ApiError(404, NOT_FOUND)
    if request.method == "PATCH":
        if not passkeys.rename(user, passkey_id, text_field(data, "name", max_length=256)):
            raise ApiError(400, {"name": ["Give the passkey a name of at most 64 characters."]})
        db.session.commit()
        return jsonify(passkeys.as_dict(passkeys.owned(user, passkey_id)))
    password = text_field(data, "password", max_length=1024)
    if password:
        if not reauth.confirm_password(user, password):
            raise ApiError(400, {"password": ["Password is incorrect."]})
    else:
        require_recent_auth()
    passkeys.remove(user, passkey_id)
    db.session.commit()
    return "", 204


@bp.route("/user/passkeys/login/begin/", methods=["POST"])
@limiter.limit(OPTIONS_LIMIT)
@doc(
    "Begin a passkey sign-in",
    body="PasskeyLoginBegin",
    responses={200: "PasskeyChallenge", 400: "FieldErrors"},
)
def passkeys_login_begin():
    """Request options: discoverable credentials with `{}`; the account's passkeys with an
    email (unknown emails get an empty list, as discoverable) or a live mfa_token."""
    data = json_body()
    email = text_field(data, "email", max_length=254)
    raw = text_field(data, "mfa_token", max_length=256)
    if raw:
        found = mfa.challenge_passkey_options(raw)
        if found is None:
            raise ApiError(401, {"message": "Token is invalid or expired"})
        challenge_id, options = found
    else:
        user = auth.find_user_by_email(email) if email else None
        challenge_id, options = passkeys.authentication_options(user)
    db.session.commit()
    return jsonify({"challenge_id": challenge_id, "options": options})


@bp.route("/user/passkeys/login/finish/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
@doc(
    "Sign in with a passkey",
    body="PasskeyAssertion",
    responses={200: "Tokens", 400: "Error", 429: "RateLimited"},
)
def passkeys_login_finish():
    """The token/ body and cookies; a passkey sign-in needs no second factor."""
    ctx = current_attempt()
    data = json_body()
    try:
        challenge_id = text_field(data, "challenge_id", max_length=128)
        credential = credential_field(data)
        if not challenge_id:
            raise ApiError(400, {"challenge_id": ["challenge_id_required"]})
    except ApiError:
        ctx.finish("invalid_input")
        raise
    result = auth.passkey_login(
        challenge_id, credential, ctx, kind="api", device_cookie=device_cookie()
    )
    db.session.commit()
    if result.status == "ok":
        return signed_in(result)
    if result.status == "unverified":
        raise ApiError(400, {"detail": ["email_not_verified"]})
    if result.status == "expired_challenge":
        raise ApiError(400, EXPIRED)
    raise ApiError(400, LOGIN_REFUSED)


@bp.route("/user/reauth/", methods=["POST"])
@api_auth()
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
@doc(
    "Confirm it is you (re-authentication)",
    body="Reauth",
    responses={200: "Message", 400: "Error", 401: "Unauthorized"},
    auth=True,
)
def reauth_confirm():
    """A password, TOTP code or passkey check now: sensitive changes are open for
    REAUTH_MINUTES on this session."""
    data = json_body()
    method = text_field(data, "method", max_length=32) or "password"
    if method not in reauth.METHODS:
        raise ApiError(400, {"method": ["Invalid method."]})
    if not reauth.confirm(me(), method, data, client_ip()):
        db.session.commit()  # a refused passkey may have recorded a security event
        raise ApiError(400, {"error": "Invalid credentials."})
    db.session.commit()
    return jsonify({"message": "Confirmed."})
