"""The account's security page and the answers to new-sign-in notices."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from webapp.account import bp
from webapp.extensions import db
from webapp.models import SecurityEvent
from webapp.services import alerts, devices, mfa, security

PAGE_SIZE = 25


@bp.route("/security")
@login_required
def security_page():
    """Failed attempts against my email, lockouts, new sign-ins, trusted devices, factors."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    total, events = security.own_events(current_user, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return render_template(
        "account/security.html",
        summary=security.summary(current_user),
        events=events,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        notices=alerts.pending_notices(current_user.id),
        devices=devices.live_devices(current_user.id),
        browsers=mfa.trusted_browsers(current_user.id),
    )


@bp.route(
    "/security/notices/<int(max=2147483647):event_id>/<any(known, secured):action>",
    methods=["POST"],
)
@login_required
def answer_notice(event_id: int, action: str):
    """Answer one of my new-sign-in notices: it was me, or secure my account."""
    event = db.session.get(SecurityEvent, event_id)
    if event is None or event.user_id != current_user.id or event.kind != alerts.NEW_SIGN_IN:
        abort(404)
    if event.resolved_at is not None:
        flash(_("This notice was already answered."), "info")
        return redirect(url_for("account.security_page"))
    alerts.resolve(event, action)
    db.session.commit()
    if action == alerts.SECURE:
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
    return redirect(url_for("account.security_page"))
