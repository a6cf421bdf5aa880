"""Request-side helpers shared by blueprints: client identity, JSON detection, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

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


def form_email_key() -> str:
    """Rate-limit key for per-email limits: the normalised email of the submitted form."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"email:{email}"
