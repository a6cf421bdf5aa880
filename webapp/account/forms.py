"""Forms of the account blueprint."""

from flask_babel import lazy_gettext as _l
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
from webapp.services import wording


class ChangePasswordForm(NewPasswordForm):
    """Change password: the current one is required."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    submit = SubmitField(_l("Change password"))


class ProfileForm(FlaskForm):
    """Profile fields; the service checks uniqueness and formats."""

    full_name = StringField(_l("Full name"), filters=[strip], validators=[Length(max=120)])
    username = StringField(
        _l("Username"), filters=[strip], validators=[DataRequired(_l("Choose a username."))]
    )
    bio = TextAreaField(_l("Bio"), validators=[Length(max=2000)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=32)])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    timezone = SelectField(_l("Time zone"), validators=[InputRequired()])
    # Choices (the shipped languages after "" for the browser's) are set per request.
    language = SelectField(_l("Language"), validate_choice=True, default="")
    submit = SubmitField(_l("Save profile"))

    FIELD_FOR: dict[str, str] = {}
    apply_errors = NewPasswordForm.apply_errors


class AvatarForm(FlaskForm):
    """An avatar upload (JPG or PNG, at most 2 MiB)."""

    avatar = FileField(_l("Avatar"), validators=[FileRequired(_l("Choose an image."))])
    submit = SubmitField(_l("Upload"))


class EmailChangeForm(FlaskForm):
    """A new email address, confirmed with the password."""

    email = EmailField(
        _l("New email"), filters=[strip], validators=[DataRequired(), Length(max=254)]
    )
    password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Send confirmation link"))

    FIELD_FOR: dict[str, str] = {}
    apply_errors = NewPasswordForm.apply_errors


class DeleteAccountForm(FlaskForm):
    """Account deletion: the password and an explicit confirmation."""

    password = PasswordField(_l("Current password"), validators=[DataRequired()])
    confirm = BooleanField(
        _l("I understand that my account and files are deleted for good"),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my account"))

    FIELD_FOR: dict[str, str] = {}
    apply_errors = NewPasswordForm.apply_errors


ROLE_CHOICES = list(wording.ROLES.items())


class ViewAsForm(FlaskForm):
    """Narrow the view to a role at or below your own."""

    role = SelectField(
        _l("View as"),
        choices=ROLE_CHOICES,
    )
    submit = SubmitField(_l("Switch"))


class TotpConfirmForm(FlaskForm):
    """The first code from the authenticator app, to turn TOTP on."""

    code = StringField(
        _l("6-digit code"),
        validators=[DataRequired(_l("Enter the code from your app.")), Length(max=16)],
        filters=[strip],
    )
    submit = SubmitField(_l("Turn on two-factor authentication"))


class PasswordConfirmForm(FlaskForm):
    """The password again, before a sensitive change of the second factor."""

    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    submit = SubmitField(_l("Confirm"))


class PasskeyAddForm(PasskeyForm):
    """A new passkey: its name, and the credential the browser created."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Name the passkey.")), Length(max=64, message=_l("Too long."))],
        filters=[strip],
    )


class PasskeyRenameForm(FlaskForm):
    """A passkey's new name."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Name the passkey.")), Length(max=64, message=_l("Too long."))],
        filters=[strip],
    )


class ReauthForm(FlaskForm):
    """Confirm it is you: the password or a TOTP code (a passkey uses PasskeyForm)."""

    method = SelectField(choices=[("password", _l("Password")), ("totp", _l("Authenticator code"))])
    secret = PasswordField(_l("Password or code"), validators=[DataRequired(_l("Enter it."))])
    next = HiddenField()
