"""Routes of the account blueprint: profile, avatar, password, email, sessions, data."""

from __future__ import annotations

import csv
import io
import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_login import current_user, login_required, logout_user

from webapp.account import bp
from webapp.account.forms import (
    ROLE_CHOICES,
    AvatarForm,
    ChangePasswordForm,
    DeleteAccountForm,
    EmailChangeForm,
    ProfileForm,
    ViewAsForm,
)
from webapp.extensions import db
from webapp.services import accounts, auth, avatars, devices, i18n, mfa, roles
from webapp.services.spreadsheets import safe_row
from webapp.services.wording import human
from webapp.web import link_failed, reauth_required


def _render(status: int = 200, **forms):
    """The account page with all its forms (fresh ones unless given)."""
    profile = forms.pop("profile", None) or ProfileForm(obj=current_user)
    profile.timezone.choices = accounts.timezone_names()
    profile.language.choices = _language_choices()
    if not i18n.supported(profile.language.data):
        profile.language.data = ""
    if not profile.timezone.data:
        profile.timezone.data = current_user.timezone or "UTC"
    view_as = ViewAsForm(role=roles.effective_role(current_user))
    return render_template(
        "account/index.html",
        profile=profile,
        avatar=forms.pop("avatar", None) or AvatarForm(),
        view_as=view_as,
        avatar_url=avatars.avatar_url(current_user),
    ), status


def _language_choices() -> list[tuple[str, str]]:
    """The profile's language select: the browser's choice, then each shipped language."""
    return [("", _("Browser default")), *i18n.language_choices()]


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """Profile page; POST saves the profile."""
    if request.method == "GET":
        return _render()
    form = ProfileForm()
    form.timezone.choices = accounts.timezone_names()
    form.language.choices = _language_choices()
    if form.validate_on_submit():
        errors = accounts.update_profile(
            current_user,
            {
                "full_name": form.full_name.data,
                "username": form.username.data,
                "bio": form.bio.data,
                "phone": form.phone.data,
                "date_of_birth": form.date_of_birth.data,
                "timezone": form.timezone.data,
                "language": form.language.data,
            },
        )
        if not errors:
            db.session.commit()
            refresh()  # the confirmation is already in the newly chosen language
            flash(_("Profile saved."), "success")
            # The menu's cookie must not outvote a profile that follows the browser.
            return i18n.remember(redirect(url_for("account.index")), current_user.language)
        db.session.rollback()
        form.apply_errors(errors)
    return _render(400, profile=form)


@bp.route("/avatar", methods=["POST"])
@login_required
def upload_avatar():
    """Replace the avatar; bad files are refused and nothing is stored."""
    form = AvatarForm()
    if form.validate_on_submit():
        upload = form.avatar.data
        try:
            old = avatars.store(current_user, upload.read(avatars.MAX_BYTES + 1), upload.filename)
        except avatars.AvatarError as exc:
            form.avatar.errors = [human(str(exc))]
        else:
            db.session.commit()
            avatars.remove_file(old)
            flash(_("Avatar updated."), "success")
            return redirect(url_for("account.index"))
    return _render(400, avatar=form)


@bp.route("/avatar/remove", methods=["POST"])
@login_required
def remove_avatar():
    """Remove the avatar and its file."""
    old = avatars.clear(current_user)
    db.session.commit()
    avatars.remove_file(old)
    flash(_("Avatar removed."), "info")
    return redirect(url_for("account.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@reauth_required
def change_password():
    """Change the password; other sessions end and a notice is mailed."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        errors = auth.change_password(
            current_user, form.current_password.data, form.password.data, form.password_repeat.data
        )
        if not errors:
            db.session.commit()
            flash(_("Your password was changed. Your other sessions were signed out."), "success")
            return redirect(url_for("account.index"))
        db.session.rollback()
        form.apply_errors(errors)
    status = 400 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status


@bp.route("/email", methods=["GET", "POST"])
@login_required
@reauth_required
def change_email():
    """Ask to change the email address (confirmed from the new address)."""
    form = EmailChangeForm()
    if form.validate_on_submit():
        errors = accounts.request_email_change(current_user, form.email.data, form.password.data)
        if not errors:
            db.session.commit()
            flash(_("We sent a confirmation link to %(email)s.", email=form.email.data), "info")
            return redirect(url_for("account.index"))
        db.session.rollback()
        form.apply_errors(errors)
    status = 400 if request.method == "POST" else 200
    return render_template("account/email.html", form=form), status


@bp.route("/email/confirm/<token>")
def confirm_email(token: str):
    """Confirm the new address from the link."""
    user = accounts.confirm_email_change(token)
    if user is None:
        db.session.rollback()
        return link_failed(
            _("This confirmation link is invalid, used or expired, or the address is taken.")
        )
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    return redirect(url_for("account.index" if current_user.is_authenticated else "auth.login"))


@bp.route("/sessions")
@login_required
def sessions():
    """Your signed-in devices, and the devices trusted to sign in despite a lockout."""
    rows = accounts.active_sessions(current_user.id)
    return render_template(
        "account/sessions.html",
        sessions=rows,
        devices=devices.live_devices(current_user.id),
        trusted_browsers=mfa.trusted_browsers(current_user.id),
    )


@bp.route("/sessions/<session_id>/revoke", methods=["POST"])
@login_required
def revoke_session(session_id: str):
    """Sign one device out."""
    if not accounts.revoke_own_session(current_user, session_id):
        abort(404)
    db.session.commit()
    if session_id == current_user.session_key:
        logout_user()
        return redirect(url_for("auth.login"))
    flash(_("That session was signed out."), "info")
    return redirect(url_for("account.sessions"))


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@login_required
def revoke_device(device_id: int):
    """Stop trusting one device: it shares the email's lockout again until it signs in."""
    if not devices.revoke_own(current_user, device_id):
        abort(404)
    db.session.commit()
    flash(_("That device is no longer trusted."), "info")
    return redirect(url_for("account.sessions"))


@bp.route("/sessions/revoke-others", methods=["POST"])
@login_required
@reauth_required
def revoke_other_sessions():
    """Sign out everywhere else."""
    count = accounts.revoke_other_sessions(current_user)
    db.session.commit()
    flash(
        ngettext("Signed out %(num)d other session.", "Signed out %(num)d other sessions.", count),
        "info",
    )
    return redirect(url_for("account.sessions"))


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """Download my data: profile and full login history, as JSON or CSV."""
    data = accounts.export_data(current_user)
    name = f"doorman-{current_user.username}"
    if fmt == "json":
        return Response(
            json.dumps(data, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    if fmt != "csv":
        abort(404)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "field", "value"])
    for key, value in data["profile"].items():
        writer.writerow(safe_row(["profile", key, "" if value is None else value]))
    columns = ["time", "success", "method", "reason", "ip", "device", "user_agent"]
    writer.writerow([])
    writer.writerow(columns)
    for row in data["login_attempts"]:
        writer.writerow(safe_row(row[c] for c in columns))
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@reauth_required
def delete():
    """Delete the account after the password is confirmed."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        errors, avatar_file = accounts.delete_account(current_user, form.password.data)
        if not errors:
            db.session.commit()
            avatars.remove_file(avatar_file)
            logout_user()
            flash(_("Your account was deleted."), "info")
            return redirect(url_for("main.index"))
        db.session.rollback()
        form.apply_errors(errors)
    status = 400 if request.method == "POST" else 200
    return render_template("account/delete.html", form=form), status


@bp.route("/view-as", methods=["POST"])
@login_required
def view_as():
    """Narrow (or restore) the role this session acts with."""
    form = ViewAsForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        role = roles.switch_role(current_user, current_user.session_key, form.role.data)
    except PermissionError:
        abort(403)
    db.session.commit()
    flash(_("Now viewing as: %(role)s.", role=dict(ROLE_CHOICES)[role]), "info")
    return redirect(url_for("account.index"))
