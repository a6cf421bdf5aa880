"""Security events: lockouts, brute force, new devices, 'this wasn't me' reports."""

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class SecurityEvent(db.Model):
    """Something an admin, or the user concerned, should know about."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    ip: Mapped[str] = mapped_column(String(45), nullable=False, default="")
    details: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    acknowledged_at = mapped_column(Timestamp)
