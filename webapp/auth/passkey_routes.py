"""Auth routes of passkeys: the usernameless sign-in and the passkey answer to the second step."""

from __future__ import annotations

from flask import flash, jsonify, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp.auth import bp
from webapp.auth.forms import PasskeyForm
from webapp.auth.mfa_routes import signed_in
from webapp.extensions import db, limiter
from webapp.hooks import current_attempt
from webapp.services import auth, passkeys
from webapp.services import mfa as factors
from webapp.web import config_limit, device_cookie

OPTIONS_LIMIT = "30 per minute"  # every login page asks once for the autofill
REFUSED = {
    "unverified": _l("Your email address is not verified yet."),
    "expired_challenge": _l("That passkey request expired. Try again."),
}


@bp.route("/passkey/options", methods=["POST"])
@limiter.limit(OPTIONS_LIMIT)
def passkey_options():
    """Request options for a usernameless sign-in (the browser offers its passkeys)."""
    challenge_id, options = passkeys.authentication_options()
    db.session.commit()
    return jsonify({"challenge_id": challenge_id, "options": options})


@bp.route("/passkey/login", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
def passkey_login():
    """Sign in with a passkey: no password and no second factor."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = PasskeyForm()
    if not form.validate_on_submit():
        current_attempt().finish("invalid_input")
        flash(_("The passkey answer was incomplete. Try again."), "danger")
        return redirect(url_for("auth.login"))
    remember = bool(form.remember.data)
    result = auth.passkey_login(
        form.challenge_id.data,
        form.credential.data,
        current_attempt(),
        remember=remember,
        device_cookie=device_cookie(),
    )
    db.session.commit()
    if result.status == "ok":
        return signed_in(result, remember)
    flash(REFUSED.get(result.status, _("That passkey cannot sign in here.")), "danger")
    return redirect(url_for("auth.login"))


@bp.route("/mfa/passkey/options", methods=["POST"])
@limiter.limit(OPTIONS_LIMIT)
def mfa_passkey_options():
    """Request options listing the passkeys of the account this second step is for."""
    found = factors.challenge_passkey_options(session.get("mfa_token") or "")
    if found is None:
        return jsonify({"error": "Sign in again to continue."}), 400
    db.session.commit()
    return jsonify({"challenge_id": found[0], "options": found[1]})


@bp.route("/mfa/passkey", methods=["POST"])
@limiter.limit(config_limit("RATELIMIT_LOGIN"))
def mfa_passkey():
    """Answer the second step with a passkey."""
    raw = session.get("mfa_token")
    form = PasskeyForm()
    if not raw or not form.validate_on_submit():
        current_attempt().finish("invalid_input" if raw else "expired_code")
        flash(_("Sign in again to continue.") if not raw else _("Try the passkey again."), "info")
        return redirect(url_for("auth.mfa" if raw else "auth.login"))
    answer = factors.passkey_answer(form.challenge_id.data, form.credential.data)
    result = auth.second_factor_login(
        raw,
        "passkey",
        answer,
        current_attempt(),
        trust=bool(form.trust.data),
        device_cookie=device_cookie(),
    )
    db.session.commit()
    if result.status == "ok":
        return signed_in(result, result.session.remember)
    if result.status == "bad_code":
        flash(_("That passkey was not accepted. Try again or use another way."), "danger")
        return redirect(url_for("auth.mfa"))
    session.pop("mfa_token", None)
    flash(_("That sign-in has expired or had too many wrong answers. Sign in again."), "danger")
    return redirect(url_for("auth.login"))
