"""Auth endpoints of the API: keys, tokens, refresh, logout, registration, verification, reset."""

from __future__ import annotations

import math

from flask import current_app, jsonify
from flask_jwt_extended import get_jwt, unset_jwt_cookies, verify_jwt_in_request

from webapp.api import bp
from webapp.api.common import (
    ApiError,
    api_auth,
    email_field,
    json_body,
    me,
    text_field,
    wire_role,
)
from webapp.api.docs import doc
from webapp.extensions import db, limiter
from webapp.hooks import current_attempt
from webapp.services import (
    api_tokens,
    auth,
    captcha,
    devices,
    roles,
    rsa_keys,
    signup,
    sources,
    timing,
)
from webapp.services.avatars import avatar_url
from webapp.services.health import run_checks
from webapp.services.sessions import revoke
from webapp.services.signup import Registration
from webapp.web import client_ip, config_limit, device_cookie, email_key


@bp.route("/user/public-key/")
@doc("Public key for encrypted passwords", responses={200: "PublicKey", 503: "Error"})
def public_key():
    """The RSA public key (SPKI PEM) for encrypted_password logins."""
    try:
        return jsonify({"public_key": rsa_keys.public_pem()})
    except (OSError, ValueError):
        return jsonify({"error": "Public key not available."}), 503


def login_payload(user, tokens: dict) -> dict:
    """The token/ response body."""
    is_staff = user.role in ("staff", "admin")
    return {
        **tokens,
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "email_verified": user.is_verified,
        "is_staff": is_staff,
        "is_superuser": user.role == "admin",
        "staff_access_granted": roles.is_staff(user),
        "logins_remaining_for_staff": 0,
        "active_role": wire_role(user),
        "role_label": roles.LABELS[roles.effective_role(user)],
        "image": avatar_url(user),
    }


def with_cookies(body: dict, tokens: dict, status: int = 200):
    """A JSON response that also sets the JWT cookies."""
    response = jsonify(body)
    response.status_code = status
    api_tokens.set_cookies(response, tokens)
    return response


@bp.route("/user/token/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
@doc("Log in", body="Login", responses={200: "Tokens", 400: "FieldErrors", 429: "RateLimited"})
def token():
    """Log in with email and password (or an RSA-encrypted password); sets the cookies too."""
    ctx = current_attempt()
    try:
        email, password = _login_fields(json_body())
    except ApiError:
        ctx.finish("invalid_input")
        raise
    result = auth.password_login(
        email, password, ctx, kind="api", respond=_signed_in, device_cookie=device_cookie()
    )
    db.session.commit()
    if result.status == "mfa_required":
        from webapp.api.mfa import mfa_required_body

        return jsonify(mfa_required_body(result))
    if result.status == "locked":
        raise ApiError(
            429,
            {
                "detail": "Too many failed attempts. Try again later.",
                "retry_after": result.retry_after,
            },
            {"Retry-After": str(result.retry_after)},
        )
    if result.status == "unverified":
        raise ApiError(400, {"detail": ["email_not_verified"]})
    if result.status != "ok":
        raise ApiError(400, {"non_field_errors": ["no_active_account"]})
    return result.response


def _signed_in(result: auth.LoginResult):
    """The answer to a sign-in, built while the password is checked (and before the commit,
    which would expire the user and cost a reload)."""
    response = with_cookies(
        login_payload(result.user, api_tokens.public(result.tokens)), result.tokens
    )
    devices.set_cookie(response, result.device_cookie)
    return response


def _login_fields(data: dict) -> tuple[str, str]:
    """Email and plain password from a login body, or the contract's 400 errors."""
    email = text_field(data, "email", max_length=10_000).strip()
    password = text_field(data, "password", max_length=10_000)
    encrypted = text_field(data, "encrypted_password", max_length=10_000)
    errors = {}
    problem = auth.email_error(auth.normalise_email(email))
    if problem:
        errors["email"] = [f"email_{problem}"]
    if encrypted and not password:
        try:
            password = rsa_keys.decrypt_hex(encrypted)
        except ValueError:
            errors["encrypted_password"] = ["Invalid encrypted password."]
    elif not password:
        errors["password"] = ["password_required"]
    if errors:
        raise ApiError(400, errors)
    return email, password


@bp.route("/user/token/refresh/", methods=["POST"])
@doc("Rotate the refresh token", body="Refresh", responses={200: "TokenPair", 401: "Unauthorized"})
def refresh():
    """Swap a refresh token (body or cookie) for a new pair; reuse revokes the session."""
    data = json_body()
    raw = text_field(data, "refresh", max_length=4096)
    claims = _refresh_claims(raw)
    try:
        tokens = api_tokens.rotate(claims)
    except api_tokens.RefreshRefused:
        db.session.commit()
        raise ApiError(401, {"message": "Token is invalid or expired"}) from None
    db.session.commit()
    return with_cookies(api_tokens.public(tokens), tokens)


def _refresh_claims(raw: str) -> dict:
    """Verify a refresh token from the body, or else from the cookie."""
    from flask_jwt_extended import decode_token

    if raw:
        try:
            claims = decode_token(raw)
        except Exception:  # any decoding problem is the same 401
            raise ApiError(401, {"message": "Token is invalid or expired"}) from None
        if claims.get("type") != "refresh":
            raise ApiError(401, {"message": "Token is invalid or expired"})
        return claims
    verify_jwt_in_request(refresh=True, locations=["cookies"], verify_type=True)
    return get_jwt()


@bp.route("/user/logout/", methods=["POST"])
@api_auth()
@doc("Log out", body="Refresh", responses={200: "Message", 401: "Unauthorized"}, auth=True)
def logout():
    """Revoke this session's token family and clear the cookies."""
    revoke(me().session_key, "logout")
    db.session.commit()
    response = jsonify({"message": "logout_Success"})
    unset_jwt_cookies(response)
    return response


@bp.route("/user/create/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_REGISTER"))
@doc("Register", body="Register", responses={201: "UserSummary", 400: "FieldErrors"})
def create():
    """Create an account and send the verification email."""
    data = json_body()
    fields = {
        k: text_field(data, k, max_length=10_000)
        for k in ("username", "email", "password", "passwordRepeat")
    }
    try:
        landing = sources.landing_from_body(data)
    except sources.SourceError as exc:
        raise ApiError(400, {k: [m] for k, m in exc.errors.items()}) from None
    result = signup.sign_up(
        Registration(
            fields["username"], fields["email"], fields["password"], fields["passwordRepeat"]
        ),
        landing,
        channel="api",
        ip=client_ip(),
        captcha_answer=text_field(data, "captcha", max_length=captcha.ANSWER_MAX)
        if captcha.provider()
        else None,
    )
    db.session.commit()  # a refused CAPTCHA is counted
    if result.status != "created":
        raise ApiError(400, result.errors)
    user = result.user
    return jsonify(
        {"id": user.id, "username": user.username, "email": user.email, "image": None}
    ), 201


@bp.route("/user/verify-email/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
@doc("Verify an email address", body="VerifyEmail", responses={200: "Message", 400: "Error"})
def verify_email():
    """Verify with the emailed 6-digit code or link token."""
    data = json_body()
    email = text_field(data, "email", max_length=10_000)
    token_value = text_field(data, "token", max_length=256).strip()
    given = {"email": email.strip(), "token": token_value}
    missing = {name: [f"{name}_required"] for name, value in given.items() if not value}
    if missing:
        raise ApiError(400, missing)
    if token_value.isdigit() and len(token_value) == 6:
        result = auth.verify_email_code(email, token_value)
    else:
        result = auth.verify_email_link(token_value)
        if result.user is not None and result.user.email != auth.normalise_email(email):
            db.session.rollback()
            raise ApiError(400, {"error": "Invalid verification token."})
    db.session.commit()
    if result.status == "verified":
        return jsonify({"message": "Email verified successfully. You can now log in."})
    if result.status == "already":
        return jsonify({"message": "Email is already verified.", "already_verified": True})
    if result.status == "expired":
        raise ApiError(
            400,
            {"error": "Verification token has expired. Please request a new one.", "expired": True},
        )
    if result.status == "locked":
        minutes = math.ceil(result.retry_after / 60)
        raise ApiError(
            429,
            {
                "detail": f"Too many wrong codes. Try again in {minutes} minute(s).",
                "retry_after": result.retry_after,
            },
            {"Retry-After": str(result.retry_after)},
        )
    raise ApiError(400, {"error": "Invalid verification token."})


@bp.route("/user/resend-verification/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=email_key)
@doc("Resend the verification email", body="Email", responses={200: "Message", 400: "FieldErrors"})
def resend_verification():
    """Same answer for unknown and unverified emails."""
    email = email_field(json_body())
    with timing.enumeration_floor():
        user = auth.find_user_by_email(email)
        if user is not None and user.is_verified:
            return jsonify({"message": "Email is already verified."})
        auth.resend_verification(email)
        db.session.commit()
    return jsonify(
        {
            "message": "If the account exists and is not verified, a new verification "
            "email has been sent."
        }
    )


@bp.route("/user/password-reset/", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=email_key)
@doc("Ask for a password reset", body="Email", responses={200: "Message", 400: "FieldErrors"})
def password_reset():
    """Mail a reset link; the same answer for every email (no enumeration)."""
    email = email_field(json_body())
    with timing.enumeration_floor():
        auth.request_password_reset(email)
        db.session.commit()
    return jsonify(
        {"message": "If an account exists with this email, a password reset email has been sent."}
    )


@bp.route("/user/reset-password/<token>/", methods=["POST"])
@doc(
    "Reset the password",
    body="NewPassword",
    responses={200: "Message", 400: "FieldErrors"},
    path_params={"token": "string"},
)
def reset_password(token: str):
    """Set a new password from the emailed token; every session and token of the user ends."""
    data = json_body()
    errors = auth.reset_password(
        token,
        text_field(data, "password", max_length=10_000),
        text_field(data, "passwordRepeat", max_length=10_000),
    )
    if errors:
        db.session.rollback()
        if "error" in errors:
            raise ApiError(400, {"error": errors["error"][0]})
        raise ApiError(400, errors)
    db.session.commit()
    return jsonify(
        {"message": "Password reset successful. You can now login with your new password."}
    )


@bp.route("/user/switch-role/", methods=["POST"])
@api_auth()
@doc(
    "Narrow the active role",
    body="SwitchRole",
    responses={200: "ActiveRole", 400: "Error", 403: "Error"},
    auth=True,
)
def switch_role():
    """Narrow this session to a role at or below the real one (never grants anything)."""
    data = json_body()
    wanted = roles.WIRE_NAMES.get(text_field(data, "role", max_length=32))
    if wanted is None:
        raise ApiError(400, {"error": 'Invalid role. Must be "regular", "staff" or "superuser".'})
    user = me()
    try:
        roles.switch_role(user, user.session_key, wanted)
    except PermissionError as exc:
        raise ApiError(403, {"error": str(exc)}) from None
    db.session.commit()
    return jsonify(
        {"active_role": wire_role(user), "role_label": roles.LABELS[roles.effective_role(user)]}
    )


@bp.route("/health/")
def health():
    """Each dependency's state, for load balancers: 503 when a required one is down."""
    status, checks = run_checks()
    if status == "down":
        response = jsonify({"status": status, "checks": checks})
        response.headers["Retry-After"] = str(current_app.config["DATABASE_RETRY_AFTER"])
        return response, 503
    return jsonify({"status": status, "checks": checks})
