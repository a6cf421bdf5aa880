"""Security events: lockouts, brute force, new devices, 'this wasn't me' reports."""

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class SecurityEvent(db.Model):
    """Something an admin, or the user concerned, should know about."""

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_user_created", "user_id", "created_at"),
        Index("ix_security_events_email_created", "email", "created_at"),
        Index("ix_security_events_kind_subject", "kind", "subject", "created_at"),
        Index("ix_security_events_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    ip: Mapped[str] = mapped_column(String(45), nullable=False, default="")
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # What a finding is about (a network, an email, a device): one event per subject and window.
    subject: Mapped[str] = mapped_column(String(191), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    device: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    acknowledged_at = mapped_column(Timestamp)  # by an admin
    # A new-sign-in notice answered by its owner: "known" (it was me) or "secured".
    resolution: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    resolved_at = mapped_column(Timestamp)
