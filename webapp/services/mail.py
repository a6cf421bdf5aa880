"""Outgoing mail: HTML plus text from templates, queued in the outbox; console mode saves .eml."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_mail import Message, email_dispatched

from webapp.extensions import mail
from webapp.models import OutboxMail, utcnow
from webapp.services import outbox

log = logging.getLogger(__name__)


def send_email(to: str, subject: str, template: str, **context) -> OutboxMail:
    """Render email/<template>.txt and .html and queue them for one address.

    The message is a row in the caller's transaction: it goes out only if that commits, and
    the caller never waits on SMTP (a sender delivers the outbox). It is written in the
    recipient's language when their profile names one (a lazy subject is translated here),
    else in the language of the request that sends it.
    """
    context.setdefault("app_name", "Doorman")
    user = context.get("user")
    chosen = getattr(user, "language", None) if getattr(user, "email", None) == to else None
    language = chosen or str(get_locale() or "en")
    with force_locale(language):
        return outbox.enqueue(
            to,
            _("Doorman: %(subject)s", subject=str(subject)),
            render_template(f"email/{template}.txt", **context),
            render_template(f"email/{template}.html", **context),
        )


def mail_dir(app=None) -> Path:
    """Where the console backend saves messages."""
    app = app or current_app
    return Path(app.config.get("MAIL_SAVE_DIR") or Path(app.instance_path) / "mail")


def _save_to_disk(app, message: Message) -> None:
    """Console backend: save each message as an .eml file and echo it."""
    if app.config["MAIL_BACKEND"] != "console":
        return
    folder = mail_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{secrets.token_hex(3)}.eml"
    path.write_bytes(message.as_bytes())
    if app.config.get("MAIL_ECHO"):
        print(f"--- mail to {', '.join(message.recipients)} saved as {path} ---")
        print(message.body)


def init_mail(app) -> None:
    """Bind Flask-Mail; in console mode nothing is sent over SMTP."""
    if app.config["MAIL_BACKEND"] == "console":
        app.config["MAIL_SUPPRESS_SEND"] = True
    mail.init_app(app)
    if not getattr(email_dispatched, "_doorman_connected", False):
        email_dispatched.connect(_save_to_disk)
        email_dispatched._doorman_connected = True
