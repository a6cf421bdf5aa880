"""Forms of the auth blueprint."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm, RecaptchaField
from flask_wtf.recaptcha import Recaptcha
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from webapp.services import auth, captcha
from webapp.services.wording import human
from webapp.web import client_ip


def strip(value):
    """Trim surrounding whitespace from submitted text."""
    return value.strip() if isinstance(value, str) else value


class ValidEmail:
    """The service's rule for an address, so forms, the API and the services agree."""

    def __init__(self, message: str = _l("Enter a valid email address.")) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and auth.email_error(auth.normalise_email(field.data)):
            # A str, not a lazy string: Flask-Admin shows only errors that are strings.
            raise ValidationError(str(self.message))


EMAIL_FIELD = [
    DataRequired(_l("Enter your email address.")),
    Length(max=254, message=_l("An email address has at most 254 characters.")),
    ValidEmail(_l("Enter a valid email address.")),
]


class LoginForm(FlaskForm):
    """Email, password and remember-me."""

    email = EmailField(_l("Email"), validators=EMAIL_FIELD, filters=[strip])
    password = PasswordField(_l("Password"), validators=[Length(max=1024, message=_l("Too long."))])
    # Filled by static/js/login-encrypt.js (RSA-OAEP) when the browser has WebCrypto.
    encrypted_password = HiddenField(validators=[Length(max=1024)])

    def validate_password(self, field) -> None:
        """Either the password or its encrypted form is required."""
        if not field.data and not self.encrypted_password.data:
            raise ValidationError(_l("Enter your password."))

    remember = BooleanField(_l("Keep me signed in for 30 days"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class RegisterForm(FlaskForm):
    """New account; the service checks the full policy and uniqueness."""

    username = StringField(_l("Username"), validators=[DataRequired(_l("Choose a username."))])
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Enter your email address."))], filters=[strip]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password."))])
    password_repeat = PasswordField(
        _l("Confirm password"), validators=[DataRequired(_l("Repeat the password."))]
    )
    # Where the visitor landed from, carried across resubmissions (the service bounds them).
    utm_source = HiddenField()
    utm_medium = HiddenField()
    utm_campaign = HiddenField()
    referrer = HiddenField()
    submit = SubmitField(_l("Create account"))

    # Service error keys (API names) -> form fields.
    FIELD_FOR = {"passwordRepeat": "password_repeat"}

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        """Attach service validation messages, in people's words, to the matching fields."""
        for key, contract_messages in errors.items():
            messages = [human(m) for m in contract_messages]
            field = getattr(self, self.FIELD_FOR.get(key, key), None)
            if field is not None:
                field.errors = list(field.errors) + messages
            else:
                self.form_errors.extend(messages)


class CountedRecaptcha(Recaptcha):
    """Flask-WTF's reCAPTCHA check; a refused answer is counted as a security event."""

    def __call__(self, form, field):
        try:
            return super().__call__(form, field)
        except (ValidationError, OSError):
            captcha.record_failure(client_ip(), request.form.get("email", ""), "web")
            raise ValidationError(human(captcha.MESSAGE)) from None


class AltchaAnswer:
    """The ALTCHA widget's payload must verify (and be fresh); refusals are counted."""

    def __call__(self, form, field):
        if not captcha.verify(field.data, client_ip()):
            captcha.record_failure(client_ip(), request.form.get("email", ""), "web")
            raise ValidationError(human(captcha.MESSAGE))


class RecaptchaRegisterForm(RegisterForm):
    """Sign-up with Google reCAPTCHA."""

    recaptcha = RecaptchaField(validators=[CountedRecaptcha()])


class AltchaRegisterForm(RegisterForm):
    """Sign-up with the self-hosted ALTCHA widget (it renders its own input, `altcha`)."""

    altcha = StringField(validators=[AltchaAnswer()])


def register_form() -> RegisterForm:
    """The sign-up form, with the configured CAPTCHA if any."""
    kind = captcha.provider()
    if kind == captcha.ALTCHA:
        return AltchaRegisterForm()
    if kind == captcha.RECAPTCHA:
        return RecaptchaRegisterForm()
    return RegisterForm()


class EmailForm(FlaskForm):
    """A single email address: resend verification, forgotten password."""

    email = EmailField(_l("Email"), validators=EMAIL_FIELD, filters=[strip])
    submit = SubmitField(_l("Send"))


class VerifyCodeForm(FlaskForm):
    """Email plus the 6-digit code from the verification email."""

    email = EmailField(_l("Email"), validators=EMAIL_FIELD, filters=[strip])
    code = StringField(
        _l("6-digit code"),
        validators=[
            DataRequired(_l("Enter the code from the email.")),
            Regexp(r"^\s*\d{6}\s*$", message=_l("The code has 6 digits.")),
        ],
    )
    submit = SubmitField(_l("Verify"))


class NewPasswordForm(FlaskForm):
    """A new password and its confirmation (reset link)."""

    password = PasswordField(
        _l("New password"), validators=[DataRequired(_l("Choose a password."))]
    )
    password_repeat = PasswordField(
        _l("Confirm new password"), validators=[DataRequired(_l("Repeat the password."))]
    )
    submit = SubmitField(_l("Set password"))

    FIELD_FOR = RegisterForm.FIELD_FOR
    apply_errors = RegisterForm.apply_errors


class SecondFactorForm(FlaskForm):
    """The second step: a code from the app, a recovery code or a mailed code."""

    method = SelectField(
        _l("Method"),
        choices=[
            ("totp", _l("Code from the authenticator app")),
            ("recovery_code", _l("Recovery code")),
            ("email_code", _l("Code mailed to me")),
            ("sms_code", _l("Code texted to me")),
        ],
        default="totp",
    )
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=64, message=_l("Too long."))],
        filters=[strip],
    )
    trust = BooleanField(_l("Trust this browser for 30 days"))
    submit = SubmitField(_l("Verify"))


class LoginCodeForm(FlaskForm):
    """Passwordless: the email and the 6-digit code it received."""

    email = EmailField(_l("Email"), validators=EMAIL_FIELD, filters=[strip])
    code = VerifyCodeForm.code
    remember = BooleanField(_l("Keep me signed in for 30 days"))
    submit = SubmitField(_l("Sign in"))


class ConfirmForm(FlaskForm):
    """A confirmation button (CSRF only): mailed links never act on a GET."""


class PasskeyForm(FlaskForm):
    """A passkey's answer, filled in by static/js/passkeys.js: the challenge id the options
    came with and the credential (PublicKeyCredential as JSON)."""

    challenge_id = HiddenField(validators=[DataRequired(), Length(max=128)])
    credential = HiddenField(validators=[DataRequired(), Length(max=16_384)])
    remember = BooleanField(_l("Remember me"))
    trust = BooleanField(_l("Trust this browser for 30 days"))
