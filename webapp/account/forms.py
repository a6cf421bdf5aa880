"""Forms of the account blueprint."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from webapp.auth.forms import NewPasswordForm, PasskeyForm, strip


class ChangePasswordForm(NewPasswordForm):
    """Change password: the current one is required."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    submit = SubmitField("Change password")


class ProfileForm(FlaskForm):
    """Profile fields; the service checks uniqueness and formats."""

    full_name = StringField("Full name", filters=[strip], validators=[Length(max=120)])
    username = StringField(
        "Username", filters=[strip], validators=[DataRequired("Username cannot be null")]
    )
    bio = TextAreaField("Bio", validators=[Length(max=2000)])
    phone = StringField("Phone", filters=[strip], validators=[Length(max=32)])
    date_of_birth = DateField("Date of birth", validators=[Optional()])
    timezone = SelectField("Time zone", validators=[InputRequired()])
    submit = SubmitField("Save profile")

    FIELD_FOR: dict[str, str] = {}
    apply_errors = NewPasswordForm.apply_errors


class AvatarForm(FlaskForm):
    """An avatar upload (JPG or PNG, at most 2 MiB)."""

    avatar = FileField("Avatar", validators=[FileRequired("Choose an image.")])
    submit = SubmitField("Upload")


class EmailChangeForm(FlaskForm):
    """A new email address, confirmed with the password."""

    email = EmailField("New email", filters=[strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Current password", validators=[DataRequired()])
    submit = SubmitField("Send confirmation link")

    FIELD_FOR: dict[str, str] = {}
    apply_errors = NewPasswordForm.apply_errors


class DeleteAccountForm(FlaskForm):
    """Account deletion: the password and an explicit confirmation."""

    password = PasswordField("Current password", validators=[DataRequired()])
    confirm = BooleanField(
        "I understand that my account and files are deleted for good",
        validators=[DataRequired("Tick the box to confirm.")],
    )
    submit = SubmitField("Delete my account")

    FIELD_FOR: dict[str, str] = {}
    apply_errors = NewPasswordForm.apply_errors


class ViewAsForm(FlaskForm):
    """Narrow the view to a role at or below your own."""

    role = SelectField(
        "View as",
        choices=[("user", "Regular user"), ("staff", "Staff"), ("admin", "Administrator")],
    )
    submit = SubmitField("Switch")


class TotpConfirmForm(FlaskForm):
    """The first code from the authenticator app, to turn TOTP on."""

    code = StringField(
        "6-digit code",
        validators=[DataRequired("Enter the code from your app."), Length(max=16)],
        filters=[strip],
    )
    submit = SubmitField("Turn on two-factor authentication")


class PasswordConfirmForm(FlaskForm):
    """The password again, before a sensitive change of the second factor."""

    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    submit = SubmitField("Confirm")


class PasskeyAddForm(PasskeyForm):
    """A new passkey: its name, and the credential the browser created."""

    name = StringField(
        "Name",
        validators=[DataRequired("Name the passkey."), Length(max=64, message="Too long.")],
        filters=[strip],
    )


class PasskeyRenameForm(FlaskForm):
    """A passkey's new name."""

    name = StringField(
        "Name",
        validators=[DataRequired("Name the passkey."), Length(max=64, message="Too long.")],
        filters=[strip],
    )


class ReauthForm(FlaskForm):
    """Confirm it is you: the password or a TOTP code (a passkey uses PasskeyForm)."""

    method = SelectField(choices=[("password", "Password"), ("totp", "Authenticator code")])
    secret = PasswordField("Password or code", validators=[DataRequired("Enter it.")])
    next = HiddenField()
