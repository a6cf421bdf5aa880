"""Links in mails: to Doorman's own pages, or to an external front end when one is set."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import current_app, url_for


def mail_link(endpoint: str, front_path: str, query: dict | None = None, **values) -> str:
    """An absolute link to one of our pages, or to front_path (plus query) under
    FRONTEND_BASE_URL when set: the React client has its own verify and reset routes."""
    base = current_app.config.get("FRONTEND_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    link = f"{base.rstrip('/')}/{front_path}"
    return f"{link}?{urlencode(query)}" if query else link


def verify_link(email: str, token: str) -> str:
    """The email verification link."""
    return mail_link(
        "auth.verify_link", "verify-email", {"email": email, "token": token}, token=token
    )


def reset_link(token: str) -> str:
    """The password reset link."""
    return mail_link("auth.reset_password", f"reset-password/{quote(token, safe='')}", token=token)
