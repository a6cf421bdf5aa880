"""Progressive lockout state, keyed by the normalised email (known or not)."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class LoginLockout(db.Model):
    """Failures in the current window, the escalation level and the lock end."""

    __tablename__ = "login_lockouts"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_started_at = mapped_column(Timestamp)
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until = mapped_column(Timestamp)
    last_locked_at = mapped_column(Timestamp)
    updated_at = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
