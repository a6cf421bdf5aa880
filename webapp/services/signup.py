"""Sign-up: the CAPTCHA, the account checks, disposable addresses and where people came from.

The web form and `POST create/` both come here; the account itself is made by
`auth.register`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

from disposable_email_domains import blocklist
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from webapp.models import User
from webapp.services import auth, captcha, sources
from webapp.services.mail import send_email
from webapp.services.passwords import hash_password

DISPOSABLE_MESSAGE = "Disposable e-mail addresses are not accepted"


@dataclass
class Registration:
    """What a person submitted to sign up."""

    username: str
    email: str
    password: str
    password_repeat: str


@dataclass
class SignUpResult:
    """created | existing (hidden: the owner was mailed instead) | invalid (with errors)."""

    status: str
    user: User | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Whether a rate limit counts it: refusals for the shape of the input alone (a short
    # username, a weak password) do not; anything that tells whether a name is taken does.
    counted: bool = True


def sign_up(
    form: Registration,
    landing: sources.Landing,
    *,
    channel: str,
    ip: str = "",
    captcha_answer: str | None = None,
    hide_existing: bool = False,
) -> SignUpResult:
    """Check and create an account (caller commits).

    captcha_answer None means the form's own validator checked the CAPTCHA already.
    With hide_existing, an address that has an account answers like a new one, and its
    owner gets a notice instead.
    """
    email = auth.normalise_email(form.email)
    if captcha_answer is not None and not captcha.verify(captcha_answer, ip):
        captcha.record_failure(ip, email, channel)
        return SignUpResult("invalid", errors={"captcha": [captcha.MESSAGE]})
    errors = auth.registration_errors(
        form.username, form.email, form.password, form.password_repeat
    )
    if "email" not in errors and is_disposable(email):
        errors["email"] = [DISPOSABLE_MESSAGE]
    owner = auth.find_user_by_email(email) if hide_existing and email else None
    if owner is not None:
        errors.pop("email", None)
        if not errors:
            hash_password(form.password)  # as long as a real sign-up takes
            _notify_owner(owner)
            return SignUpResult("existing")
    if errors:
        return SignUpResult("invalid", errors=errors, counted=_taken(form, email))
    try:
        user = auth.register(
            form.username,
            form.email,
            form.password,
            source=channel,
            origin=sources.source_for(landing, channel),
        )
    except auth.RegistrationTaken as taken:  # a parallel sign-up won the race
        return SignUpResult("invalid", errors=taken.errors)
    return SignUpResult("created", user)


def _taken(form: Registration, email: str) -> bool:
    """Whether the username or the email already belongs to an account."""
    name = (form.username or "").strip()
    return bool(name and auth.username_taken(name)) or (
        bool(email) and auth.find_user_by_email(email) is not None
    )


def is_disposable(email: str) -> bool:
    """Whether the address is on a throwaway-mail domain (when REGISTRATION_BLOCK_DISPOSABLE).

    The list is the `disposable-email-domains` package's, plus DISPOSABLE_DOMAINS_FILE (one
    domain a line) if set; subdomains of a listed domain count too.
    """
    cfg = current_app.config
    if not cfg.get("REGISTRATION_BLOCK_DISPOSABLE") or "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1].strip(".").lower()
    listed = _listed(cfg.get("DISPOSABLE_DOMAINS_FILE") or "")
    labels = domain.split(".")
    return any(".".join(labels[i:]) in listed for i in range(len(labels) - 1))


def _listed(path: str) -> frozenset[str] | set[str]:
    if not path:
        return blocklist
    try:
        stamp = os.stat(path).st_mtime
    except OSError:
        current_app.logger.warning("DISPOSABLE_DOMAINS_FILE %s is not readable", path)
        return blocklist
    return _file_domains(path, stamp)


@functools.lru_cache(maxsize=4)
def _file_domains(path: str, _stamp: float) -> frozenset[str]:
    """The package's list plus the file's domains (re-read when the file changes)."""
    with open(path, encoding="utf-8") as fh:
        extra = {
            line.strip().lower()
            for line in fh
            if line.strip() and not line.lstrip().startswith("#")
        }
    return frozenset(blocklist | extra)


def _notify_owner(owner: User) -> None:
    send_email(
        owner.email,
        _l("someone tried to sign up with your address"),
        "registration_notice",
        user=owner,
        login_url=url_for("auth.login", _external=True),
        reset_url=url_for("auth.forgot_password", _external=True),
    )
