"""Forms of the account blueprint."""

from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired

from webapp.auth.forms import NewPasswordForm


class ChangePasswordForm(NewPasswordForm):
    """Change password: the current one is required."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    submit = SubmitField("Change password")
