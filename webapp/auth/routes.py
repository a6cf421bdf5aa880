"""Routes of the auth blueprint; each parses, calls one service, commits once, renders."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_jwt_extended import unset_jwt_cookies
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth import bp, mfa_routes
from webapp.auth.forms import (
    EmailForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
    VerifyCodeForm,
    register_form,
)
from webapp.extensions import db, limiter
from webapp.hooks import current_attempt
from webapp.services import (
    api_tokens,
    auth,
    captcha,
    code_tries,
    devices,
    rsa_keys,
    signup,
    sources,
    timing,
)
from webapp.services.clock import in_words
from webapp.services.signup import Registration
from webapp.web import (
    client_ip,
    config_limit,
    device_cookie,
    email_key,
    link_failed,
    redraw_when_limited,
    safe_next_url,
)

LANDING_KEY = "landing"  # session key: where a visitor first landed from


def _landing(next_url: str | None = None):
    return redirect(safe_next_url(next_url) or url_for("dashboard.index"))


def _signed_in(result: auth.LoginResult, next_url: str | None):
    """The redirect after a sign-in, with the JWT cookies for the page's JS widgets (the same
    session); built while the password is checked."""
    response = _landing(next_url)
    api_tokens.set_cookies(response, result.tokens)
    devices.set_cookie(response, result.device_cookie)
    return response


def _login_page() -> str:
    """The sign-in form as typed, without the password (a 429 draws it again)."""
    form = LoginForm()
    form.encrypted_password.data = ""
    return render_template("auth/login.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@redraw_when_limited(_login_page)
@limiter.limit(config_limit("RATELIMIT_LOGIN"), methods=["POST"])
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return _landing(request.args.get("next"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next_url(request.args.get("next")) or ""
    status, unverified_email = 200, None
    password = _submitted_password(form)
    if form.validate_on_submit() and password is not None:
        ctx = current_attempt()
        result = auth.password_login(
            form.email.data,
            password,
            ctx,
            remember=bool(form.remember.data),
            respond=lambda signed_in: _signed_in(signed_in, form.next.data),
            device_cookie=device_cookie(),
        )
        db.session.commit()
        if result.status == "ok":
            session.clear()
            login_user(result.user, remember=bool(form.remember.data))
            flash(_("Welcome back, %(name)s.", name=result.user.display_name), "success")
            return result.response
        if result.status == "mfa_required":
            return mfa_routes.ask_second_factor(result, form.next.data)
        if result.status == "locked":
            flash(
                _(
                    "Too many failed sign-ins for this email. Try again %(wait)s, or use the "
                    "unlock link we emailed to the account owner.",
                    wait=in_words(result.retry_after),
                ),
                "danger",
            )
            form.encrypted_password.data = ""  # what was typed comes back, never a password
            response = current_app.make_response(
                (render_template("auth/login.html", form=form), 429)
            )
            response.headers["Retry-After"] = str(result.retry_after)
            return response
        if result.status == "unverified":
            unverified_email = result.user.email
        else:
            form.form_errors.append(_("Invalid email or password."))
    elif request.method == "POST":
        current_attempt().finish("invalid_input")
        status = 400
    form.encrypted_password.data = ""
    return render_template("auth/login.html", form=form, unverified_email=unverified_email), status


def _submitted_password(form: LoginForm) -> str | None:
    """The plain password, decrypting the WebCrypto field when that is what was sent."""
    if form.password.data or not form.encrypted_password.data:
        return form.password.data
    try:
        return rsa_keys.decrypt_hex(form.encrypted_password.data)
    except ValueError:
        form.form_errors.append(_("Invalid encrypted password."))
        return None


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST with CSRF): revoke the server-side session."""
    auth.end_session(current_user.session_key)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    response = redirect(url_for("main.index"))
    unset_jwt_cookies(response)
    return response


def _register_page() -> str:
    """The sign-up form as typed, without the passwords (a 429 draws it again)."""
    return render_template("auth/register.html", form=register_form(), captcha=captcha.provider())


def _reached_checks(response) -> bool:
    """Only sign-ups that passed validation use up the limit: a too-short username is fixed
    and sent again, not held against the person (a taken name or email always counts)."""
    return g.get("registration_counted", False)


@bp.route("/register", methods=["GET", "POST"])
@redraw_when_limited(_register_page)
@limiter.limit(config_limit("RATELIMIT_REGISTER"), methods=["POST"], deduct_when=_reached_checks)
def register():
    """Create an account and send the verification email."""
    if current_user.is_authenticated:
        return _landing()
    form = register_form()
    landing = _landing_of(form)
    if form.validate_on_submit():
        hide = current_app.config["REGISTRATION_HIDE_EXISTING"]
        result = signup.sign_up(
            Registration(
                form.username.data, form.email.data, form.password.data, form.password_repeat.data
            ),
            landing,
            channel="web",
            ip=client_ip(),
            hide_existing=hide,
        )
        g.registration_counted = result.counted
        db.session.commit()
        if result.status != "invalid":
            email = auth.normalise_email(form.email.data)
            code_tries.forget(code_tries.VERIFY, email)
            flash(
                _("Check your mail: we sent a link and a code to %(email)s.", email=email)
                if hide
                else _("Account created. We sent a link and a code to %(email)s.", email=email),
                "success",
            )
            return redirect(url_for("auth.verify_code", email=email))
        form.apply_errors(result.errors)
    elif request.method == "POST":
        db.session.commit()  # a refused CAPTCHA is counted
    return render_template(
        "auth/register.html", form=form, captcha=captcha.provider()
    ), 400 if request.method == "POST" else 200


def _landing_of(form: RegisterForm) -> sources.Landing:
    """Where the visitor came from: the form's hidden fields, this page's query string and
    referrer, or the first page they landed on (kept in the session); fills the fields."""
    if request.method == "POST":
        landing = sources.landing_from(request.form, form.referrer.data)
    else:
        landing = sources.landing_from(request.args, request.referrer, request.host)
    kept = session.get(LANDING_KEY)
    if not landing and isinstance(kept, dict):
        landing = sources.landing_from(kept, kept.get("referrer_host"))
    for key, value in landing.as_dict().items():
        getattr(form, "referrer" if key == "referrer_host" else key).data = value
    return landing


@bp.before_app_request
def remember_landing() -> None:
    """Keep the UTM keys or outside referrer a visitor first arrived with, for sign-up.

    New UTM keys replace older ones (a new campaign click); a plain outside referrer is kept
    only if nothing is kept yet. Signed-in visitors and non-page requests are skipped.
    """
    if request.method != "GET" or request.blueprint in ("api", None):
        return
    has_utm = any(k in request.args for k in sources.UTM_KEYS)
    if not has_utm and (not request.referrer or LANDING_KEY in session):
        return
    if current_user.is_authenticated:
        return
    landing = sources.landing_from(request.args, request.referrer, request.host)
    if landing and (has_utm or LANDING_KEY not in session):
        session[LANDING_KEY] = landing.as_dict()


@bp.route("/altcha/challenge")
def altcha_challenge():
    """A fresh ALTCHA proof-of-work challenge for the sign-up widget (404 when it is off)."""
    if captcha.provider() != captcha.ALTCHA:
        abort(404)
    response = jsonify(captcha.new_challenge())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verify/<token>")
def verify_link(token: str):
    """Verify an email address with the emailed link."""
    result = auth.verify_email_link(token)
    db.session.commit()
    if result.status in ("verified", "already"):
        flash(
            _("Your email address is verified. You can log in now.")
            if result.status == "verified"
            else _("Your email address was already verified."),
            "success",
        )
        return redirect(url_for("auth.login"))
    message = (
        _("This verification link has expired. Request a new one below.")
        if result.status == "expired"
        else _("This verification link is not valid. Request a new one below.")
    )
    return link_failed(message, EmailForm())


def _verify_page() -> str:
    """The verification form with the email typed and no code (a 429 draws it again)."""
    form = VerifyCodeForm()
    form.code.data = ""
    return render_template("auth/verify_code.html", form=form, resend=EmailForm())


@bp.route("/verify", methods=["GET", "POST"])
@redraw_when_limited(_verify_page)
@limiter.limit(config_limit("RATELIMIT_LOGIN"), methods=["POST"])
def verify_code():
    """Verify an email address with the 6-digit code."""
    form = VerifyCodeForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args.get("email", "")[:254]
    status = 200
    if form.validate_on_submit():
        result = auth.verify_email_code(form.email.data, form.code.data)
        db.session.commit()
        if result.status in ("verified", "already"):
            flash(_("Your email address is verified. You can log in now."), "success")
            return redirect(url_for("auth.login"))
        if result.status == "locked":
            form.code.errors = [code_tries.locked_message(code_tries.VERIFY, result.retry_after)]
            status = 429
        elif result.status == "expired":
            form.code.errors = [_("This code has expired. Request a new email below.")]
            status = 400
        else:
            form.code.errors = [code_tries.wrong_code_message(code_tries.VERIFY, form.email.data)]
            status = 400
    elif request.method == "POST":
        status = 400
    response = current_app.make_response(
        (render_template("auth/verify_code.html", form=form, resend=EmailForm()), status)
    )
    if status == 429:
        response.headers["Retry-After"] = str(result.retry_after)
    return response


@bp.route("/resend-verification", methods=["POST"])
@redraw_when_limited(_verify_page)
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=email_key)
def resend_verification():
    """Send a fresh verification email (same answer whether or not the account exists)."""
    form = EmailForm()
    if form.validate_on_submit():
        with timing.enumeration_floor():
            auth.resend_verification(form.email.data)
            db.session.commit()
        code_tries.forget(code_tries.VERIFY, form.email.data)
        flash(_("If that account is waiting for verification, a new email is on its way."), "info")
        return redirect(url_for("auth.verify_code", email=auth.normalise_email(form.email.data)))
    flash(_("Enter a valid email address."), "danger")
    return redirect(url_for("auth.verify_code"))


@bp.route("/forgot", methods=["GET", "POST"])
@redraw_when_limited(lambda: render_template("auth/forgot.html", form=EmailForm()))
@limiter.limit(config_limit("RATELIMIT_EMAIL"), key_func=email_key, methods=["POST"])
def forgot_password():
    """Ask for a password reset link (same answer for every email)."""
    form = EmailForm()
    if form.validate_on_submit():
        with timing.enumeration_floor():
            auth.request_password_reset(form.email.data)
            db.session.commit()
        flash(
            _("If an account exists with this email, a password reset email has been sent."), "info"
        )
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a reset link; every session ends."""
    if auth.check_reset_token(token).token is None:
        return link_failed(
            _("This password reset link is invalid or has expired. Ask for a new one.")
        )
    form = NewPasswordForm()
    if form.validate_on_submit():
        errors = auth.reset_password(token, form.password.data, form.password_repeat.data)
        if not errors:
            db.session.commit()
            logout_user()
            flash(
                _("Password reset successful. You can now log in with your new password."),
                "success",
            )
            return redirect(url_for("auth.login"))
        db.session.rollback()
        form.apply_errors(errors)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form), status


@bp.route("/unlock/<token>")
def unlock(token: str):
    """End a lockout early with the emailed unlock link."""
    ok = auth.unlock_with_token(token)
    db.session.commit()
    if ok:
        flash(_("Your sign-in is unlocked. You can try again now."), "success")
        return redirect(url_for("auth.login"))
    return link_failed(_("This unlock link is invalid or has expired."))
