"""The links of a new-sign-in alert: "It was me" and "Secure my account"."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from webapp.auth import bp
from webapp.auth.forms import ConfirmForm
from webapp.extensions import db
from webapp.services import alerts, i18n

FAILED = {
    "invalid": _l("This link is not valid."),
    "expired": _l("This link has expired. Sign in and look at your security page instead."),
    "used": _l("This link was already used."),
}


@bp.route("/alert/<token>", methods=["GET", "POST"])
def sign_in_alert(token: str):
    """GET shows the sign-in and a button (mail scanners only ever GET); POST answers it once."""
    form = ConfirmForm()
    if form.validate_on_submit():
        check = alerts.use_link(token)
        if check.error is None:
            db.session.commit()
            if check.action == alerts.SECURE:
                if current_user.is_authenticated:
                    logout_user()
                flash(
                    _(
                        "Your account is secured: every session has ended. Choose a new "
                        "password with the link we have just mailed you."
                    ),
                    "warning",
                )
                return redirect(url_for("auth.forgot_password"))
            flash(_("Thank you. This sign-in is now known."), "success")
            return redirect(url_for("main.index"))
    else:
        check = alerts.check_link(token)
    status = 200 if check.error is None else 400
    return render_template(
        "auth/sign_in_alert.html",
        form=form,
        check=check,
        message=FAILED.get(check.error or ""),
        country=i18n.country_label(check.event.country) if check.event else "",
    ), status
