"""Auth routes of the second step and of the passwordless code sign-in."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from webapp.auth import bp
from webapp.auth.forms import EmailForm, LoginCodeForm, SecondFactorForm
from webapp.extensions import db, limiter
from webapp.hooks import current_attempt
from webapp.services import api_tokens, auth, code_tries, devices, timing
from webapp.services import mfa as factors
from webapp.services.clock import in_words
from webapp.web import (
    config_limit,
    device_cookie,
    email_key,
    redraw_when_limited,
    safe_next_url,
)

STEP_ERRORS = {
    "bad_code": _l("That code is not right."),
    "replayed_code": _l("That code was already used. Wait for the next one."),
}


def ask_second_factor(result: auth.LoginResult, next_url: str | None):
    """After a right first factor: keep the mfa_token in the session, go to the second step."""
    session["mfa_token"] = result.challenge.token
    session["mfa_methods"] = result.challenge.methods
    session["mfa_next"] = safe_next_url(next_url) or ""
    return redirect(url_for("auth.mfa"))


def signed_in(result: auth.LoginResult, remember: bool):
    """Open the Flask-Login session of a sign-in and land (with JWT and trust cookies)."""
    next_url = session.get("mfa_next") or None
    session.clear()
    login_user(result.user, remember=remember)
    flash(_("Welcome back, %(name)s.", name=result.user.display_name), "success")
    response = redirect(safe_next_url(next_url) or url_for("dashboard.index"))
    api_tokens.set_cookies(response, result.tokens)
    devices.set_cookie(response, result.device_cookie)
    if result.trust_cookie:
        set_trust_cookie(response, result.trust_cookie)
    return response


def set_trust_cookie(response, value: str) -> None:
    """The signed cookie of a trusted browser (HttpOnly; read by web and API sign-ins)."""
    cfg = current_app.config
    response.set_cookie(
        factors.TRUST_COOKIE,
        value,
        max_age=factors.trust_max_age(),
        httponly=True,
        secure=cfg["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


def _mfa_page() -> str:
    """The second step again, with no code typed (a 429 draws it)."""
    form = SecondFactorForm()
    form.code.data = ""
    methods = session.get("mfa_methods") or list(factors.SECOND_FACTORS)
    return render_template("auth/mfa.html", form=form, methods=methods)


def _login_code_verify_page() -> str:
    """The code sign-in form with the email typed and no code (a 429 draws it again)."""
    form = LoginCodeForm()
    form.code.data = ""
    return render_template("auth/login_code_verify.html", form=form)


@bp.route("/mfa", methods=["GET", "POST"])
@redraw_when_limited(_mfa_page)
@limiter.limit(config_limit("RATELIMIT_LOGIN"), methods=["POST"])
def mfa():
    """The second step of a sign-in."""
    raw = session.get("mfa_token")
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    if not raw:
        if request.method == "POST":
            current_attempt().finish("expired_code")
        flash(_("Sign in again to continue."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    # Only what this account can use is offered; anything else is a wrong answer to it.
    methods = session.get("mfa_methods") or list(factors.SECOND_FACTORS)
    status = 200
    if form.validate_on_submit():
        result = auth.second_factor_login(
            raw,
            form.method.data,
            form.code.data,
            current_attempt(),
            trust=form.trust.data,
            device_cookie=device_cookie(),
        )
        db.session.commit()
        if result.status == "ok":
            return signed_in(result, result.session.remember)
        if result.status in STEP_ERRORS:
            form.code.errors = [str(STEP_ERRORS[result.status])]
            status = 400
        elif result.status == "locked":
            session.pop("mfa_token", None)
            wait = in_words(result.retry_after)
            flash(
                _("Too many failed sign-ins for this email. Try again %(wait)s.", wait=wait),
                "danger",
            )
            return redirect(url_for("auth.login"))
        else:
            session.pop("mfa_token", None)
            flash(
                _("That sign-in has expired or had too many wrong codes. Sign in again."), "danger"
            )
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        current_attempt().finish("invalid_input")
        status = 400
    return render_template("auth/mfa.html", form=form, methods=methods), status


@bp.route("/mfa/email-code", methods=["POST"])
@redraw_when_limited(_mfa_page)
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=lambda: session.get("mfa_token", ""))
def mfa_email_code():
    """Mail a code usable once as the second factor of this sign-in."""
    raw = session.get("mfa_token")
    if not raw or not factors.send_challenge_email_code(raw):
        flash(_("Sign in again to continue."), "info")
        return redirect(url_for("auth.login"))
    db.session.commit()
    minutes = current_app.config["LOGIN_CODE_MINUTES"]
    flash(_("We emailed you a code. It is valid for %(minutes)s minutes.", minutes=minutes), "info")
    return redirect(url_for("auth.mfa"))


@bp.route("/mfa/sms-code", methods=["POST"])
@redraw_when_limited(_mfa_page)
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=lambda: session.get("mfa_token", ""))
def mfa_sms_code():
    """Text a code usable once as the second factor of this sign-in."""
    raw = session.get("mfa_token")
    if not raw or not factors.send_challenge_sms_code(raw):
        flash(_("Sign in again to continue."), "info")
        return redirect(url_for("auth.login"))
    db.session.commit()
    flash(_("We texted you a code."), "info")
    return redirect(url_for("auth.mfa"))


@bp.route("/login-code", methods=["GET", "POST"])
@redraw_when_limited(lambda: render_template("auth/login_code.html", form=EmailForm()))
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=email_key, methods=["POST"])
def login_code():
    """Passwordless, first half: mail a sign-in code (the same answer for every email)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = EmailForm()
    if form.validate_on_submit():
        with timing.enumeration_floor():
            auth.request_login_code(form.email.data)
            db.session.commit()
        code_tries.forget(code_tries.SIGN_IN, form.email.data)
        flash(_("If this address can sign in, a code is on its way."), "info")
        email = auth.normalise_email(form.email.data)
        return redirect(url_for("auth.login_code_verify", email=email))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login_code.html", form=form), status


@bp.route("/login-code/verify", methods=["GET", "POST"])
@redraw_when_limited(_login_code_verify_page)
@limiter.limit(config_limit("RATELIMIT_LOGIN"), methods=["POST"])
def login_code_verify():
    """Passwordless, second half: the code signs in (or leads to the second step)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginCodeForm()
    if request.method == "GET":
        form.email.data = request.args.get("email", "")[:254]
    status = 200
    if form.validate_on_submit():
        remember = bool(form.remember.data)
        result = auth.code_login(
            form.email.data,
            form.code.data,
            current_attempt(),
            remember=remember,
            device_cookie=device_cookie(),
        )
        db.session.commit()
        if result.status == "ok":
            return signed_in(result, remember)
        if result.status == "mfa_required":
            return ask_second_factor(result, None)
        if result.status == "locked":
            wait = result.retry_after
            form.code.errors = [code_tries.locked_message(code_tries.SIGN_IN, wait)]
            status = 429
        elif result.status == "expired":
            form.code.errors = [_("This code has expired. Ask for a new one.")]
            status = 400
        else:
            email = form.email.data
            form.code.errors = [code_tries.wrong_code_message(code_tries.SIGN_IN, email)]
            status = 400
    elif request.method == "POST":
        current_attempt().finish("invalid_input")
        status = 400
    return render_template("auth/login_code_verify.html", form=form), status
