"""Housekeeping: expired tokens, sessions and trusted devices, old sent mail, and attempts
past the retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from webapp.extensions import db
from webapp.models import LoginAttempt, OneTimeToken, OutboxMail, TrustedDevice, UserSession, utcnow
from webapp.models.outbox import SENT

SESSION_GRACE = timedelta(days=30)  # revoked sessions stay visible in the admin for a while
SENT_MAIL_KEEP = timedelta(days=30)  # delivered mail stays listed in the admin for a while


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
    # Clients that keep no cookies leave a trusted device behind at every sign-in.
    devices = db.session.execute(
        delete(TrustedDevice).where(
            or_(
                TrustedDevice.expires_at < now - SESSION_GRACE,
                TrustedDevice.revoked_at < now - SESSION_GRACE,
            )
        )
    ).rowcount
    attempts = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < now - timedelta(days=retention_days))
    ).rowcount
    # Dead mail stays until someone looks at it; delivered mail only for a while.
    mail = db.session.execute(
        delete(OutboxMail).where(
            OutboxMail.status == SENT, OutboxMail.sent_at < now - SENT_MAIL_KEEP
        )
    ).rowcount
    return {
        "tokens": tokens,
        "sessions": sessions,
        "devices": devices,
        "attempts": attempts,
        "mail": mail,
    }
