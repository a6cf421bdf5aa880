"""Request hooks: login-attempt capture, recording and spooling, session loading, security
headers."""

from __future__ import annotations

import logging
import secrets
import time
from contextlib import suppress

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.extensions import db, login_manager
from webapp.services import blocks, geo, i18n, mfa, spool
from webapp.services.health import database_unreachable
from webapp.services.roles import is_admin, is_staff
from webapp.services.sessions import load_user_for_session
from webapp.services.tracking import AttemptContext, record_attempt
from webapp.web import client_ip, client_user_agent, submitted_email, wants_json

log = logging.getLogger(__name__)

# Endpoints whose POSTs are interactive login attempts, with the method they record (a
# second step records the factor it was answered with).
LOGIN_ENDPOINTS = {
    "auth.login": "password",
    "api.token": "api_token",
    "auth.mfa": "totp",
    "api.mfa_verify": "totp",
    "auth.login_code_verify": "email_code",
    "api.otp_verify": "email_code",
    "auth.passkey_login": "passkey",
    "auth.mfa_passkey": "passkey",
    "api.passkeys_login_finish": "passkey",
}


def capture_attempt() -> None:
    """Mark a login request before anything (rate limits included) can answer it."""
    method = LOGIN_ENDPOINTS.get(request.endpoint or "")
    if method and request.method == "POST":
        g.login_attempt = AttemptContext(
            ip=client_ip(),
            user_agent=client_user_agent(),
            method=method,
            trusted_browser=request.cookies.get(mfa.TRUST_COOKIE),
        )


def refuse_if_blocked():
    """A login request from a blocked address ends here: 403, recorded as `blocked_ip`, before
    rate limits and long before any password hash is computed."""
    ctx = current_attempt()
    if ctx is None or not blocks.is_blocked(ctx.ip):
        return None
    ctx.finish("blocked_ip")
    from webapp.errors import error_response  # (errors imports this module)

    if wants_json():
        return jsonify(blocks.BLOCKED), 403
    return error_response(403, blocks.BLOCKED["detail"])


def enforce_enrolment():
    """A user who must have a second factor (by role or an admin's choice) and has none can
    only enrol (pages; the API checks the same in api_auth)."""
    endpoint = request.endpoint or ""
    if endpoint in mfa.ENROLMENT_OPEN or endpoint == "static":
        return None
    if request.path.startswith("/api/") or not current_user.is_authenticated:
        return None
    if mfa.enrolment_due(current_user):
        flash("Your account requires two-factor authentication. Set it up to continue.", "warning")
        return redirect(url_for("account.mfa"))
    return None


def current_attempt() -> AttemptContext | None:
    """The attempt this request is making, if it is a login request."""
    return g.get("login_attempt")


def mark_attempt_refused(reason: str) -> None:
    """Error handlers call this so a refused login request keeps its reason."""
    ctx = current_attempt()
    if ctx is not None and not ctx.recorded and ctx.reason is None:
        ctx.reason = reason


@event.listens_for(Session, "after_commit")
def _attempt_committed(session) -> None:
    """Note that the attempt row the pipeline staged is now stored."""
    if has_request_context():
        ctx = g.get("login_attempt")
        if ctx is not None and ctx.recorded:
            ctx.committed = True


def write_attempt(exc: BaseException | None) -> None:
    """Make sure the attempt row exists exactly once, also after a 429 or an exception.

    Normally the pipeline's row was committed with the view's transaction. When that did not
    happen (refused before the view, crashed, never committed) the row is written here.
    """
    ctx = g.pop("login_attempt", None)
    if ctx is None or ctx.committed:
        return
    if exc is not None or ctx.recorded or ctx.reason is None:
        # Whatever the pipeline staged was rolled back with the failed request.
        ctx.reason = "error" if exc is not None or ctx.recorded else ctx.reason
        ctx.success, ctx.session_id, ctx.recorded = False, None, False
    if not ctx.email:
        ctx.email = submitted_email()
    try:
        db.session.rollback()
        record_attempt(ctx)
        db.session.commit()  # marks ctx committed through the listener
    except Exception as error:  # never let bookkeeping break the response
        with suppress(Exception):
            db.session.rollback()
        if not database_unreachable(error):
            log.exception("could not record login attempt")
            return
        try:  # kept on disk, written back when the database returns
            spool.append(ctx)
        except OSError:
            log.exception("could not spool login attempt")


# Monotonic time before which no request tries the spool again (the database was down).
_replay_not_before = 0.0
REPLAY_PAUSE_SECONDS = 1.0


def replay_spool() -> None:
    """Write back the attempts spooled during an outage, on a request that finds the
    database up again (at most one try a second per process while it is still down)."""
    global _replay_not_before
    if request.endpoint == "static" or time.monotonic() < _replay_not_before:
        return
    if not spool.pending():
        return
    try:
        spool.replay()
    except Exception as error:
        with suppress(Exception):
            db.session.rollback()
        _replay_not_before = time.monotonic() + REPLAY_PAUSE_SECONDS
        if not database_unreachable(error):
            log.exception("could not replay the attempt spool")


RECAPTCHA_SCRIPTS = "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/"
RECAPTCHA_FRAMES = "https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/"


def security_headers(response):
    """Strict CSP (no inline script), framing and sniffing protection, HSTS in production."""
    nonce = g.get("csp_nonce")
    script = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    frames = ""
    cfg = current_app.config
    recaptcha = cfg.get("RECAPTCHA_PUBLIC_KEY") and not cfg.get("ALTCHA_HMAC_KEY")
    if recaptcha and request.endpoint == "auth.register":
        script += f" {RECAPTCHA_SCRIPTS}"  # Google's widget, on the one page that shows it
        frames = f"frame-src {RECAPTCHA_FRAMES}; "
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src {script}; {frames}"
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("HSTS_ENABLED"):
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def csp_nonce() -> str:
    """A per-request nonce, only for third-party pages (Flask-Admin) that need one."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - trivial
    """SQLite: enforce foreign keys, WAL for concurrent readers, wait on locks."""
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL with NORMAL sync is crash-safe; it skips an fsync per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A larger page cache and memory-mapped reads: dashboards scan rollup ranges.
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def register_hooks(app: Flask) -> None:
    """Install the hooks; attempt capture runs before Flask-Limiter's check."""
    app.before_request_funcs.setdefault(None, []).insert(0, capture_attempt)
    app.before_request_funcs[None].insert(1, refuse_if_blocked)
    app.before_request(replay_spool)
    app.before_request(enforce_enrolment)
    app.teardown_request(write_attempt)
    app.after_request(security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["is_staff"] = is_staff
    app.jinja_env.globals["current_locale"] = get_locale
    app.jinja_env.globals["is_admin"] = is_admin
    app.jinja_env.globals["country"] = geo.country_label
    app.jinja_env.globals["percent"] = i18n.percent
    login_manager.user_loader(load_user_for_session)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
