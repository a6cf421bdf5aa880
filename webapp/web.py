"""Request-side helpers shared by blueprints: client identity, JSON detection, safe redirects."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

USER_AGENT_MAX = 512


def client_ip() -> str:
    """The client address as ProxyFix resolved it (never a raw X-Forwarded-For)."""
    return request.remote_addr or "0.0.0.0"


def client_user_agent() -> str:
    """The user agent, truncated, and never null."""
    return (request.headers.get("User-Agent") or "")[:USER_AGENT_MAX]


def wants_json() -> bool:
    """True under /api/ and for clients that prefer JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def safe_next_url(target: str | None) -> str | None:
    """Return target only if it is a path on this site; reject hosts, schemes and tricks."""
    if not target or len(target) > 2048:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def submitted_email() -> str:
    """The normalised email field of the form or JSON body ("" when absent or unreadable)."""
    try:
        if request.is_json:
            data = request.get_json(silent=True)
            email = data.get("email") if isinstance(data, dict) else ""
        else:
            email = request.form.get("email")
    except HTTPException:  # e.g. a body over MAX_CONTENT_LENGTH
        return ""
    return (email if isinstance(email, str) else "").strip().lower()[:254]


def device_cookie() -> str | None:
    """The device cookie the client sent (OWASP device cookies), if any."""
    return request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])


def redraw_when_limited(render):
    """Decorate a form view (under its route): when a rate limit refuses a POST to it, the
    429 draws the page again with render(), a form refilled from what was typed, instead of
    a bare error page."""

    def mark(view):
        view.redraw_when_limited = render
        return view

    return mark


def email_key() -> str:
    """Rate-limit key for per-email limits, for forms and JSON bodies alike."""
    return f"email:{submitted_email()}"


def config_limit(name: str):
    """A Flask-Limiter limit read from the app config at request time."""
    return lambda: current_app.config[name]


def link_failed(message: str, form=None):
    """The 400 page for an emailed link that cannot be used (optionally with a resend form)."""
    return render_template("auth/verify_failed.html", message=message, form=form), 400


def reauth_required(view):
    """Pages of sensitive changes: without a recent factor check on this session, go to the
    re-authentication page first, which returns to where the user was."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from webapp.services import reauth

        if current_user.is_authenticated and not reauth.is_recent(current_user):
            return reauth_redirect()
        return view(*args, **kwargs)

    return wrapped


def reauth_redirect():
    """Send the user to confirm it is them; back to this page (a GET) or the page a form was
    posted from."""
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc == request.host
        query = f"?{referrer.query}" if referrer.query else ""
        back = referrer.path + query if same_site else ""
    flash(_("Confirm it is you to continue."), "info")
    back = safe_next_url(back) or url_for("account.index")
    return redirect(url_for("account.reauth_page", next=back))
