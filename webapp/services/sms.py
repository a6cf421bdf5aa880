"""Text messages through a pluggable channel; the console backend prints and saves them.

Adding a provider: write a class with `__init__(self, app)` (read its credentials from
app.config) and `send(self, to, body)` that delivers one message or raises, e.g. a thin
wrapper over the provider's HTTP API with a timeout; then set SMS_BACKEND to
"package.module:Class". It is built once per app. A failure raises to the caller, who
has not committed yet, so no code is stored that never left.
"""

from __future__ import annotations

import importlib
import secrets
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

from webapp.models import utcnow


class SmsBackend(Protocol):
    """What a channel must do: deliver one text to one number, or raise."""

    def send(self, to: str, body: str) -> None:
        """Deliver a text message."""


class ConsoleSmsBackend:
    """Development and tests: print the message and save it under instance/sms/."""

    def __init__(self, app: Flask) -> None:
        self.folder = Path(app.config.get("SMS_SAVE_DIR") or Path(app.instance_path) / "sms")
        self.echo = bool(app.config.get("MAIL_ECHO"))

    def send(self, to: str, body: str) -> None:
        """Save the message as a .txt file (and echo it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{secrets.token_hex(3)}.txt"
        path.write_text(f"To: {to}\n\n{body}\n")
        if self.echo:
            print(f"--- text to {to} saved as {path} ---\n{body}")


BACKENDS = {"console": ConsoleSmsBackend}


def backend(app: Flask | None = None) -> SmsBackend:
    """The app's channel, built on first use."""
    app = app or current_app
    built = app.extensions.get("doorman_sms")
    if built is None:
        name = app.config.get("SMS_BACKEND") or "console"
        cls = BACKENDS.get(name) or _import(name)
        built = app.extensions["doorman_sms"] = cls(app)
    return built


def _import(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def send_sms(to: str, body: str) -> None:
    """Send a text through the configured channel."""
    backend().send(to, body)


def sms_dir(app: Flask | None = None) -> Path:
    """Where the console backend saves texts."""
    app = app or current_app
    return Path(app.config.get("SMS_SAVE_DIR") or Path(app.instance_path) / "sms")
