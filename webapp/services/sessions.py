"""Server-side sessions: open, load (one query), touch, revoke."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import User, UserSession, utcnow
from webapp.services import devices
from webapp.services.mfa import revoke_all_trusted
from webapp.services.tracking import device_label


def open_session(
    user: User, ip: str, user_agent: str, *, remember: bool = False, kind: str = "web"
) -> UserSession:
    """Create the server-side record for a new sign-in (API sessions live as long as refresh)."""
    cfg = current_app.config
    now = utcnow()
    if kind == "api":
        lifetime = cfg["JWT_REFRESH_TOKEN_EXPIRES"]
    elif remember:
        lifetime = cfg["REMEMBER_COOKIE_DURATION"]
    else:
        lifetime = timedelta(hours=cfg["SESSION_LIFETIME_HOURS"])
    row = UserSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        kind=kind,
        ip=ip[:45],
        user_agent=user_agent,
        device=device_label(user_agent),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        refresh_jti=uuid.uuid4().hex,  # the first refresh token's id, chosen with the row
    )
    db.session.add(row)
    user.session_key = row.id
    return row


def load_user_for_session(key: str) -> User | None:
    """Return the user behind a live session key, or None; one query, joined."""
    if not key or len(key) > 64:
        return None
    row = db.session.execute(select(UserSession).where(UserSession.id == key)).scalar_one_or_none()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = row.user
    if not user.is_active:
        return None
    if (now - row.last_seen_at).total_seconds() >= current_app.config["SESSION_TOUCH_SECONDS"]:
        _touch(row.id, user.id, now)
    user.session_key = key
    user.view_role = row.active_role
    return user


def _touch(session_id: str, user_id: int, now) -> None:
    """Update last-seen stamps in their own short transaction (reads stay read-only)."""
    with db.engine.begin() as conn:
        conn.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )
        conn.execute(update(User).where(User.id == user_id).values(last_seen_at=now))


def revoke(session_id: str, reason: str) -> None:
    """Revoke one session."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def revoke_all(user_id: int, reason: str, *, keep: str | None = None) -> int:
    """Revoke every live session of a user, optionally keeping one; returns how many.

    Every trusted device goes too (this one's included): signing out everywhere, a password
    change or reset must also end the trust that outlives those sessions.
    Browsers trusted to skip the second factor are no longer trusted either.
    """
    revoke_all_trusted(user_id)
    stmt = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep:
        stmt = stmt.where(UserSession.id != keep)
    result = db.session.execute(stmt.values(revoked_at=utcnow(), revoked_reason=reason))
    devices.revoke_all(user_id, reason)
    return result.rowcount
