"""Housekeeping: expired tokens and sessions, and attempts past the retention period."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from webapp.extensions import db
from webapp.models import LoginAttempt, OneTimeToken, UserSession, utcnow

SESSION_GRACE = timedelta(days=30)  # revoked sessions stay visible in the admin for a while


def purge(retention_days: int) -> dict[str, int]:
    """Delete dead rows; the rollups are untouched, so the counts survive."""
    now = utcnow()
    tokens = db.session.execute(
        delete(OneTimeToken).where(
            or_(OneTimeToken.expires_at < now, OneTimeToken.used_at.is_not(None))
        )
    ).rowcount
    sessions = db.session.execute(
        delete(UserSession).where(
            or_(
                UserSession.expires_at < now - SESSION_GRACE,
                UserSession.revoked_at < now - SESSION_GRACE,
            )
        )
    ).rowcount
    attempts = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < now - timedelta(days=retention_days))
    ).rowcount
    return {"tokens": tokens, "sessions": sessions, "attempts": attempts}
