"""Account routes of the second factor: TOTP enrolment, recovery codes, trusted browsers."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.account import bp
from webapp.account.forms import PasswordConfirmForm, TotpConfirmForm
from webapp.extensions import db
from webapp.services import mfa as factors
from webapp.web import reauth_required


def _render(status: int = 200, **forms):
    """The two-factor page with its forms (fresh ones unless given)."""
    return render_template(
        "account/mfa.html",
        overview=factors.overview(current_user),
        setup=factors.pending_setup(current_user),
        confirm=forms.get("confirm") or TotpConfirmForm(),
        disable=forms.get("disable") or PasswordConfirmForm(prefix="disable"),
        regenerate=forms.get("regenerate") or PasswordConfirmForm(prefix="regenerate"),
        phone=forms.get("phone") or TotpConfirmForm(prefix="phone"),
        phone_confirmed=factors.phone_confirmed(current_user),
    ), status


@bp.route("/mfa")
@login_required
def mfa():
    """Two-factor status; a pending enrolment shows its QR code and secret."""
    return _render()


@bp.route("/mfa/setup", methods=["POST"])
@login_required
@reauth_required
def mfa_setup():
    """Start (or restart) enrolment with a new pending secret."""
    if factors.start_totp_setup(current_user) is None:
        flash(_("Two-factor authentication is already on."), "info")
    db.session.commit()
    return redirect(url_for("account.mfa"))


@bp.route("/mfa/confirm", methods=["POST"])
@login_required
@reauth_required
def mfa_confirm():
    """Turn TOTP on with a first code; the recovery codes are shown this once."""
    form = TotpConfirmForm()
    if form.validate_on_submit():
        codes = factors.confirm_totp(current_user, form.code.data)
        if codes is not None:
            db.session.commit()
            flash(_("Two-factor authentication is on."), "success")
            return render_template("account/recovery_codes.html", codes=codes)
        form.code.errors = [_("That code is not right. Check the time on your device.")]
    return _render(400, confirm=form)


@bp.route("/mfa/disable", methods=["POST"])
@login_required
@reauth_required
def mfa_disable():
    """Turn TOTP off (password again)."""
    form = PasswordConfirmForm(prefix="disable")
    if form.validate_on_submit():
        errors = factors.disable_totp(current_user, form.password.data)
        if not errors:
            db.session.commit()
            flash(_("Two-factor authentication is off."), "info")
            return redirect(url_for("account.mfa"))
        db.session.rollback()
        form.password.errors = [m for v in errors.values() for m in v]
    return _render(400, disable=form)


@bp.route("/mfa/recovery-codes", methods=["POST"])
@login_required
@reauth_required
def mfa_recovery_codes():
    """A new set of recovery codes (password again); the old set stops working."""
    form = PasswordConfirmForm(prefix="regenerate")
    if form.validate_on_submit():
        codes, errors = factors.regenerate_recovery_codes(current_user, form.password.data)
        if not errors:
            db.session.commit()
            return render_template("account/recovery_codes.html", codes=codes)
        db.session.rollback()
        form.password.errors = [m for v in errors.values() for m in v]
    return _render(400, regenerate=form)


@bp.route("/trusted-browsers/<browser_id>/revoke", methods=["POST"])
@login_required
def revoke_trusted_browser(browser_id: str):
    """Stop letting one browser skip the second factor."""
    if not factors.revoke_trusted(current_user.id, browser_id[:64]):
        abort(404)
    db.session.commit()
    flash(_("That browser will be asked for the second factor again."), "info")
    return redirect(url_for("account.sessions"))


@bp.route("/phone/send", methods=["POST"])
@login_required
def phone_send():
    """Text a code to the profile's number, to confirm it."""
    if not factors.send_phone_confirmation(current_user):
        flash(_("Add a phone number to your profile first."), "warning")
        return redirect(url_for("account.index"))
    db.session.commit()
    flash(_("We texted a code to your number."), "info")
    return redirect(url_for("account.mfa"))


@bp.route("/phone/confirm", methods=["POST"])
@login_required
@reauth_required
def phone_confirm():
    """Confirm the profile's number with the texted code: it can then receive sign-in codes."""
    form = TotpConfirmForm(prefix="phone")
    if form.validate_on_submit():
        check = factors.confirm_phone(current_user, form.code.data)
        db.session.commit()
        if check.status == "ok":
            flash(_("Your phone number is confirmed."), "success")
            return redirect(url_for("account.mfa"))
        form.code.errors = [_("That code is not right, or it expired.")]
    return _render(400, phone=form)
