"""Trusted devices: browsers and clients that signed in to an account (OWASP device cookies)."""

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class TrustedDevice(db.Model):
    """The server side of one device cookie, with its own failure count and lock.

    A client that shows a live cookie for the account it tries is judged by this row's
    failures alone; the lock columns mirror LoginLockout's, so one rule serves both.
    """

    __tablename__ = "trusted_devices"
    __table_args__ = (Index("ix_trusted_devices_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # sha256 of the cookie's secret: a database dump gives no usable cookie.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    device: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    ip: Mapped[str] = mapped_column(String(45), nullable=False, default="")
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    last_used_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    expires_at = mapped_column(Timestamp, nullable=False)
    revoked_at = mapped_column(Timestamp)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_started_at = mapped_column(Timestamp)
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until = mapped_column(Timestamp)
    last_locked_at = mapped_column(Timestamp)
