"""Messages of the services and the API contract as people read them on the web.

The services answer in the API's words (keys such as "password_mismatch", or developer
sentences such as "start_date must not be after end_date."), which the JSON API must keep.
Pages pass those through human(): one table from contract message to translated sentence.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

SENTENCES = {
    # Sign-up, passwords and the profile
    "password_mismatch": _l("The two passwords differ."),
    "password_repeat_null": _l("Repeat the password."),
    "Username cannot be null": _l("Choose a username."),
    "E-mail cannot be null": _l("Enter your email address."),
    "Password cannot be null": _l("Choose a password."),
    "Must have min 4 and max 32 characters": _l("A username has 4 to 32 characters."),
    "Use only letters, digits, dots, dashes and underscores": _l(
        "Use only letters, digits, dots, dashes and underscores in a username."
    ),
    "Username already exists": _l("That username is taken. Choose another one."),
    "E-mail is not valid": _l("Enter a valid email address."),
    "E-mail in use": _l("An account with this email address already exists."),
    "Disposable e-mail addresses are not accepted": _l(
        "Use a permanent email address; disposable ones are not accepted."
    ),
    "Password cannot be entirely numeric": _l("The password cannot be only digits."),
    "Password is too common": _l("This password is too common."),
    "Password is too similar to the username or email": _l(
        "The password is too close to your username or email address."
    ),
    "Password is too easy to guess": _l("This password is too easy to guess."),
    "Password has appeared in a data breach": _l(
        "This password has appeared in a data breach. Choose another one."
    ),
    "Current password is incorrect": _l("Your current password is not right."),
    "At most 120 characters.": _l("At most 120 characters."),
    "At most 2000 characters.": _l("At most 2000 characters."),
    "Use digits, spaces, + ( ) - and . only (at most 32).": _l(
        "Use digits, spaces, + ( ) - and . only (at most 32)."
    ),
    "Invalid date format. Use YYYY-MM-DD format.": _l("Enter the date as YYYY-MM-DD."),
    "Enter a date between 1900 and today.": _l("Enter a date between 1900 and today."),
    "Unknown time zone.": _l("Choose a time zone from the list."),
    "Unknown language.": _l("Choose a language from the list."),
    "Please complete the CAPTCHA.": _l("Please complete the CAPTCHA."),
    # Avatars
    "Invalid image format. Only JPG, JPEG, and PNG are allowed.": _l("Choose a JPG or PNG image."),
    "Image dimensions are too large.": _l("The image is too large in width or height."),
    # Dashboards
    "start_date must not be after end_date.": _l("The start date is after the end date."),
    "outcome must be 'success' or 'failure'.": _l("Choose an outcome from the list."),
    "Invalid reason.": _l("Choose a reason from the list."),
    "Invalid method.": _l("Choose a method from the list."),
    "page must be a positive whole number.": _l("The page number must be a whole number."),
    "Invalid user_ids format. Must be integers.": _l("Choose users from the list."),
    "One or more user IDs not found.": _l("One or more of the chosen users no longer exist."),
    'Invalid role. Must be "admin" or "regular".': _l("Choose a role from the list."),
    # Error pages (the JSON API keeps these words)
    "The request could not be understood.": _l("The request could not be understood."),
    "You need to sign in first.": _l("You need to sign in first."),
    "You do not have permission to perform this action.": _l(
        "You do not have permission to do this."
    ),
    "There is nothing at this address.": _l("There is nothing at this address."),
    "This address does not accept that kind of request.": _l(
        "This address does not accept that kind of request."
    ),
    "The request is larger than this server accepts.": _l(
        "The request is larger than this server accepts."
    ),
    "Too many requests. Please wait before trying again.": _l(
        "Too many requests. Please wait before trying again."
    ),
    "An unexpected error happened. It has been logged.": _l(
        "An unexpected error happened. It has been logged."
    ),
    "The service is briefly unavailable. Please try again in a few seconds.": _l(
        "The service is briefly unavailable. Please try again in a few seconds."
    ),
    "The form expired or did not come from this site. Try again.": _l(
        "The form expired or did not come from this site. Try again."
    ),
    "An avatar can be at most 2 MiB. Choose a smaller JPG or PNG image.": _l(
        "An avatar can be at most 2 MiB. Choose a smaller JPG or PNG image."
    ),
    # Sign-out, as the API reports it
    "logout_Success": _l("You have been logged out."),
}

# Messages that carry a number: (pattern, sentence with %(n)s).
NUMBERED = (
    (
        re.compile(r"Password must have at least (\d+) characters"),
        _l("A password has at least %(n)s characters."),
    ),
    (
        re.compile(r"Password must have at most (\d+) characters"),
        _l("A password has at most %(n)s characters."),
    ),
    (
        re.compile(r"The date range can cover at most (\d+) days\."),
        _l("The date range can cover at most %(n)s days."),
    ),
    (
        re.compile(r"Image size cannot exceed (\d+) bytes\."),
        _l("The image can be at most %(n)s bytes."),
    ),
)


def human(message: str) -> str:
    """The sentence a person reads for a service or contract message, in their language."""
    if message in SENTENCES:
        return str(SENTENCES[message])
    for pattern, sentence in NUMBERED:
        found = pattern.fullmatch(message)
        if found:
            return str(sentence) % {"n": found[1]}
    return message


# The keys stored with sign-in attempts and security events, as pages name them.
REASONS = {
    "ok": _l("signed in"),
    "bad_credentials": _l("wrong password"),
    "unknown_user": _l("unknown account"),
    "unverified": _l("email not verified"),
    "inactive": _l("account deactivated"),
    "locked": _l("locked"),
    "blocked_ip": _l("blocked address"),
    "rate_limited": _l("too many requests"),
    "invalid_input": _l("incomplete form"),
    "bad_request": _l("bad request"),
    "error": _l("server error"),
    "mfa_required": _l("second step asked"),
    "bad_code": _l("wrong code"),
    "expired_code": _l("expired code"),
    "replayed_code": _l("code used twice"),
    "bad_signature": _l("passkey not accepted"),
    "unknown_credential": _l("unknown passkey"),
    "counter_regressed": _l("passkey copied?"),
}
METHODS = {
    "password": _l("password"),
    "passkey": _l("passkey"),
    "email_code": _l("emailed code"),
    "totp": _l("authenticator code"),
    "recovery_code": _l("recovery code"),
    "sms_code": _l("texted code"),
    "api_token": _l("API token"),
}
ROLES = {
    "user": _l("Regular user"),
    "staff": _l("Staff"),
    "admin": _l("Administrator"),
}
EVENT_KINDS = {
    "lockout": _l("lockout"),
    "password_spraying": _l("password spraying"),
    "credential_stuffing": _l("credential stuffing"),
    "failure_surge": _l("surge of failures"),
    "unusual_time": _l("unusual time"),
    "impossible_travel": _l("impossible travel"),
    "new_sign_in": _l("new sign-in"),
    "account_secured": _l("account secured"),
    "factor_change": _l("factor changed"),
    "captcha_failed": _l("CAPTCHA failed"),
    "passkey_clone": _l("cloned passkey"),
}


def label(table: dict, key: str | None) -> str:
    """A stored key's name in the page's language (unknown keys: the key, spaced out)."""
    if key in table:
        return str(table[key])
    return (key or "").replace("_", " ")


def reason_labels() -> dict[str, str]:
    """Every attempt reason's name in the page's language (for the pages' scripts)."""
    return {key: str(name) for key, name in REASONS.items()}
