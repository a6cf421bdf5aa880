"""Second-factor and passwordless endpoints of the API (API.md, wave 2)."""

from __future__ import annotations

from flask import jsonify

from webapp.api import bp
from webapp.api.common import (
    ApiError,
    api_auth,
    credential_field,
    email_field,
    json_body,
    me,
    require_recent_auth,
    text_field,
)
from webapp.api.docs import SCHEMAS, doc
from webapp.api.routes import login_payload, with_cookies
from webapp.extensions import db, limiter
from webapp.hooks import current_attempt
from webapp.services import api_tokens, auth, devices, mfa, timing
from webapp.web import config_limit, device_cookie, email_key

INVALID_TOKEN = {"message": "Token is invalid or expired"}
STEP_ERRORS = {"bad_code": "Invalid code.", "replayed_code": "Code already used."}

SCHEMAS.update(
    {
        "MfaRequired": {
            "type": "object",
            "required": ["mfa_required", "mfa_token", "methods"],
            "properties": {
                "mfa_required": {"type": "boolean"},
                "mfa_token": {"type": "string"},
                "methods": {"type": "array", "items": {"type": "string"}},
            },
        },
        "MfaVerify": {
            "type": "object",
            "properties": {
                "mfa_token": {"type": "string"},
                "method": {"type": "string", "enum": list(mfa.SECOND_FACTORS)},
                "code": {"type": "string"},
                "trust_device": {"type": "boolean"},
                "challenge_id": {"type": "string"},
                "credential": {"type": "object"},
            },
        },
        "MfaStatus": {"type": "object", "additionalProperties": True},
        "TotpSetup": {
            "type": "object",
            "required": ["secret", "otpauth_uri", "qr_svg"],
            "properties": {k: {"type": "string"} for k in ("secret", "otpauth_uri", "qr_svg")},
        },
        "RecoveryCodes": {
            "type": "object",
            "required": ["recovery_codes"],
            "properties": {"recovery_codes": {"type": "array", "items": {"type": "string"}}},
        },
        "Code": {"type": "object", "properties": {"code": {"type": "string"}}},
        "Password": {"type": "object", "properties": {"password": {"type": "string"}}},
        "MfaToken": {"type": "object", "properties": {"mfa_token": {"type": "string"}}},
        "EmailCode": {
            "type": "object",
            "properties": {"email": {"type": "string"}, "code": {"type": "string"}},
        },
    }
)


def mfa_required_body(result: auth.LoginResult) -> dict:
    """The 200 answer of a right first factor when a second one is due (no cookie, no JWT)."""
    return {
        "mfa_required": True,
        "mfa_token": result.challenge.token,
        "methods": result.challenge.methods,
    }


def signed_in(result: auth.LoginResult):
    """The token/ body and cookies, plus the trust cookie when the browser was trusted."""
    response = with_cookies(
        login_payload(result.user, api_tokens.public(result.tokens)), result.tokens
    )
    devices.set_cookie(response, result.device_cookie)
    if result.trust_cookie:
        from webapp.auth.mfa_routes import set_trust_cookie

        set_trust_cookie(response, result.trust_cookie)
    return response


@bp.route("/user/mfa/verify/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
@doc(
    "Answer the second step",
    body="MfaVerify",
    responses={200: "Tokens", 400: "Error", 401: "Unauthorized", 429: "RateLimited"},
)
def mfa_verify():
    """A second factor for an mfa_token: signs in, or 400 for a wrong code."""
    ctx = current_attempt()
    data = json_body()
    try:
        raw = text_field(data, "mfa_token", max_length=256)
        method = text_field(data, "method", max_length=32) or "totp"
        trust = data.get("trust_device", False)
        errors = {}
        if method == "passkey":  # the passkey's answer instead of a code
            code = mfa.passkey_answer(
                text_field(data, "challenge_id", max_length=128), credential_field(data)
            )
        else:
            code = text_field(data, "code", max_length=64)
        if method not in mfa.SECOND_FACTORS:
            errors["method"] = ["Invalid method."]
        if not code.strip():
            errors["code"] = ["code_required"]
        if not isinstance(trust, bool):
            errors["trust_device"] = ["Must be a boolean."]
        if errors:
            raise ApiError(400, errors)
    except ApiError:
        ctx.finish("invalid_input")
        raise
    result = auth.second_factor_login(
        raw, method, code, ctx, trust=trust, device_cookie=device_cookie()
    )
    db.session.commit()
    if result.status == "ok":
        return signed_in(result)
    if result.status in STEP_ERRORS:
        raise ApiError(400, {"error": STEP_ERRORS[result.status]})
    if result.status == "locked":
        raise ApiError(
            429,
            {
                "detail": "Too many failed attempts. Try again later.",
                "retry_after": result.retry_after,
            },
            {"Retry-After": str(result.retry_after)},
        )
    raise ApiError(401, INVALID_TOKEN)


@bp.route("/user/mfa/email-code/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=lambda: f"mfa:{_mfa_token_key()}")
@doc("Mail a second-factor code", body="MfaToken", responses={200: "Message", 401: "Unauthorized"})
def mfa_email_code():
    """Mail a 6-digit code usable once as the second factor of a live mfa_token."""
    raw = text_field(json_body(), "mfa_token", max_length=256)
    if not mfa.send_challenge_email_code(raw):
        raise ApiError(401, INVALID_TOKEN)
    db.session.commit()
    return jsonify({"message": "A code is on its way."})


@bp.route("/user/mfa/sms-code/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=lambda: f"mfa:{_mfa_token_key()}")
@doc("Text a second-factor code", body="MfaToken", responses={200: "Message", 401: "Unauthorized"})
def mfa_sms_code():
    """Text a 6-digit code to the confirmed phone, usable once as the second factor."""
    raw = text_field(json_body(), "mfa_token", max_length=256)
    if not mfa.send_challenge_sms_code(raw):
        raise ApiError(401, INVALID_TOKEN)
    db.session.commit()
    return jsonify({"message": "A code is on its way."})


def _mfa_token_key() -> str:
    try:
        return text_field(json_body(), "mfa_token", max_length=256)
    except ApiError:
        return ""


@bp.route("/user/mfa/")
@api_auth()
@doc("Second factors of the current user", responses={200: "MfaStatus"}, auth=True)
def mfa_status():
    """What second factors the user has."""
    return jsonify(mfa.overview(me()).as_dict())


@bp.route("/user/mfa/totp/setup/", methods=["POST"])
@api_auth()
@doc("Start TOTP enrolment", responses={200: "TotpSetup", 400: "Error"}, auth=True)
def mfa_totp_setup():
    """A new pending secret (not active until confirmed); needs a recent factor check."""
    require_recent_auth()
    setup = mfa.start_totp_setup(me())
    if setup is None:
        raise ApiError(400, {"error": "Two-factor authentication is already on."})
    db.session.commit()
    return jsonify(
        {"secret": setup.secret, "otpauth_uri": setup.otpauth_uri, "qr_svg": setup.qr_svg}
    )


@bp.route("/user/mfa/totp/confirm/", methods=["POST"])
@api_auth()
@doc("Confirm TOTP", body="Code", responses={200: "RecoveryCodes", 400: "Error"}, auth=True)
def mfa_totp_confirm():
    """Turn TOTP on with a first code; the 10 recovery codes are shown this once."""
    require_recent_auth()
    code = text_field(json_body(), "code", max_length=64)
    if not code.strip():
        raise ApiError(400, {"code": ["code_required"]})
    codes = mfa.confirm_totp(me(), code)
    if codes is None:
        raise ApiError(400, {"error": "Invalid code."})
    db.session.commit()
    return jsonify({"recovery_codes": codes})


@bp.route("/user/mfa/totp/disable/", methods=["POST"])
@api_auth()
@doc("Turn TOTP off", body="Password", responses={200: "Message", 400: "Error"}, auth=True)
def mfa_totp_disable():
    """Turn TOTP off (password again); recovery codes and trusted browsers end."""
    password = text_field(json_body(), "password", max_length=1024)
    errors = mfa.disable_totp(me(), password)
    if errors:
        db.session.rollback()
        raise ApiError(400, _flat(errors))
    db.session.commit()
    return jsonify({"message": "Two-factor authentication is off."})


@bp.route("/user/mfa/recovery-codes/", methods=["POST"])
@api_auth()
@doc(
    "New recovery codes", body="Password", responses={200: "RecoveryCodes", 400: "Error"}, auth=True
)
def mfa_recovery_codes():
    """A new set of recovery codes (password again); the old set stops working."""
    password = text_field(json_body(), "password", max_length=1024)
    codes, errors = mfa.regenerate_recovery_codes(me(), password)
    if errors:
        db.session.rollback()
        raise ApiError(400, _flat(errors))
    db.session.commit()
    return jsonify({"recovery_codes": codes})


def _flat(errors: dict[str, list[str]]) -> dict:
    """Field errors stay lists; the general one is a string, as API.md writes `error`."""
    return {k: (v[0] if k == "error" else v) for k, v in errors.items()}


@bp.route("/user/otp/request/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=email_key)
@doc("Mail a sign-in code", body="EmailCode", responses={200: "Message", 400: "FieldErrors"})
def otp_request():
    """Passwordless, first half: the same answer whether the email exists or not."""
    email = email_field(json_body())
    with timing.enumeration_floor():
        auth.request_login_code(email)
        db.session.commit()
    return jsonify({"message": "If this address can sign in, a code is on its way."})


@bp.route("/user/otp/verify/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
@doc(
    "Sign in with a mailed code",
    body="EmailCode",
    responses={200: "Tokens", 400: "Error", 429: "RateLimited"},
)
def otp_verify():
    """Passwordless, second half: the token/ body, or mfa_required when TOTP is on."""
    ctx = current_attempt()
    data = json_body()
    try:
        email = email_field(data)
        code = text_field(data, "code", max_length=64)
        if not code.strip():
            raise ApiError(400, {"code": ["code_required"]})
    except ApiError:
        ctx.finish("invalid_input")
        raise
    result = auth.code_login(email, code, ctx, kind="api", device_cookie=device_cookie())
    db.session.commit()
    if result.status == "ok":
        return signed_in(result)
    if result.status == "mfa_required":
        return jsonify(mfa_required_body(result))
    if result.status == "locked":
        raise ApiError(
            429,
            {
                "detail": "Too many wrong codes. Ask for a new one.",
                "retry_after": result.retry_after,
            },
            {"Retry-After": str(result.retry_after)},
        )
    raise ApiError(400, {"error": "Invalid or expired code."})
