"""Reading a user's login history."""

from __future__ import annotations

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import LoginAttempt


def recent_attempts(user_id: int, limit: int = 20) -> list[LoginAttempt]:
    """The newest attempts on a user's account, newest first (uses the user/created index)."""
    return list(
        db.session.execute(
            select(LoginAttempt)
            .where(LoginAttempt.user_id == user_id)
            .order_by(LoginAttempt.created_at.desc(), LoginAttempt.id.desc())
            .limit(limit)
        ).scalars()
    )
