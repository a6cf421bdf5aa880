"""Account routes of passkeys (add, rename, remove) and of re-authentication."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.account import bp
from webapp.account.forms import PasskeyAddForm, PasskeyRenameForm, ReauthForm
from webapp.auth.forms import PasskeyForm
from webapp.extensions import db, limiter
from webapp.services import passkeys, reauth
from webapp.web import client_ip, reauth_required, safe_next_url

OPTIONS_LIMIT = "30 per minute"


def _render(status: int = 200, add: PasskeyAddForm | None = None):
    """The passkeys page: the list, each with its rename form, and the add form."""
    rows = passkeys.of_user(current_user.id)
    return render_template(
        "account/passkeys.html",
        passkeys=rows,
        add=add or PasskeyAddForm(),
        rename={row.id: PasskeyRenameForm(prefix=f"p{row.id}", name=row.name) for row in rows},
        recent=reauth.is_recent(current_user),
    ), status


@bp.route("/passkeys")
@login_required
def passkeys_page():
    """Your passkeys, with created and last-used times."""
    return _render()


@bp.route("/passkeys/options", methods=["POST"])
@login_required
@limiter.limit(OPTIONS_LIMIT)
def passkey_options():
    """Creation options for a new passkey (JSON for static/js/passkeys.js)."""
    if not reauth.is_recent(current_user):
        return jsonify({"reauth_required": True}), 401
    challenge_id, options = passkeys.registration_options(current_user)
    db.session.commit()
    return jsonify({"challenge_id": challenge_id, "options": options})


@bp.route("/passkeys/add", methods=["POST"])
@login_required
@reauth_required
def passkey_add():
    """Store the passkey the browser created."""
    form = PasskeyAddForm()
    if form.validate_on_submit():
        row, error = passkeys.register(current_user, form.credential.data, form.name.data)
        if row is not None:
            db.session.commit()
            flash(_('Passkey "%(name)s" added.', name=row.name), "success")
            return redirect(url_for("account.passkeys_page"))
        db.session.rollback()
        form.name.errors = [error]
    return _render(400, add=form)


@bp.route("/passkeys/<int:passkey_id>/rename", methods=["POST"])
@login_required
def passkey_rename(passkey_id: int):
    """Rename one of your passkeys."""
    form = PasskeyRenameForm(prefix=f"p{passkey_id}")
    if passkeys.owned(current_user, passkey_id) is None:
        abort(404)
    if not form.validate_on_submit() or not passkeys.rename(
        current_user, passkey_id, form.name.data
    ):
        flash(_("Give the passkey a name of at most 64 characters."), "danger")
        return _render(400)
    db.session.commit()
    flash(_("Passkey renamed."), "success")
    return redirect(url_for("account.passkeys_page"))


@bp.route("/passkeys/<int:passkey_id>/remove", methods=["POST"])
@login_required
@reauth_required
def passkey_remove(passkey_id: int):
    """Remove one of your passkeys (after a recent password, passkey or TOTP check)."""
    if not passkeys.remove(current_user, passkey_id):
        abort(404)
    db.session.commit()
    flash(_("Passkey removed."), "info")
    return redirect(url_for("account.passkeys_page"))


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
def reauth_page():
    """Confirm it is you (password, TOTP code or passkey), then go back to where you were."""
    form = ReauthForm()
    if request.method == "GET":
        form.next.data = safe_next_url(request.args.get("next")) or ""
    status = 200
    if form.validate_on_submit():
        if reauth.confirm(current_user, form.method.data, _secret(form), client_ip()):
            db.session.commit()
            return redirect(safe_next_url(form.next.data) or url_for("account.index"))
        db.session.rollback()
        form.secret.errors = [_("That is not right.")]
        status = 400
    elif request.method == "POST":
        status = 400
    return _reauth_page(form, status)


def _secret(form: ReauthForm) -> dict:
    return {"password": form.secret.data, "code": form.secret.data}


def _reauth_page(form: ReauthForm, status: int):
    return render_template(
        "account/reauth.html",
        form=form,
        passkey=PasskeyForm(),
        methods=reauth.methods(current_user),
        next_url=form.next.data or "",
    ), status


@bp.route("/reauth/passkey/options", methods=["POST"])
@login_required
@limiter.limit(OPTIONS_LIMIT)
def reauth_passkey_options():
    """Request options listing your passkeys, to confirm it is you."""
    challenge_id, options = passkeys.authentication_options(current_user)
    db.session.commit()
    return jsonify({"challenge_id": challenge_id, "options": options})


@bp.route("/reauth/passkey", methods=["POST"])
@login_required
def reauth_passkey():
    """Confirm it is you with a passkey."""
    form = PasskeyForm()
    next_url = safe_next_url(request.form.get("next")) or url_for("account.index")
    if form.validate_on_submit():
        status = reauth.confirm_passkey(
            current_user, form.challenge_id.data, form.credential.data, client_ip()
        )
        db.session.commit()
        if status == "ok":
            return redirect(next_url)
    flash(_("That passkey was not accepted. Try again or use another way."), "danger")
    return redirect(url_for("account.reauth_page", next=next_url))
