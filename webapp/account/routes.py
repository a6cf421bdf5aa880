"""Routes of the account blueprint."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.account import bp
from webapp.account.forms import ChangePasswordForm
from webapp.extensions import db
from webapp.services import auth


@bp.route("/")
@login_required
def index():
    """Account overview."""
    return render_template("account/index.html")


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; other sessions end and a notice is mailed."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        errors = auth.change_password(
            current_user, form.current_password.data, form.password.data, form.password_repeat.data
        )
        if not errors:
            db.session.commit()
            flash("Your password was changed. Your other sessions were signed out.", "success")
            return redirect(url_for("account.index"))
        db.session.rollback()
        form.apply_errors(errors)
    status = 400 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status
