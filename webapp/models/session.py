"""Server-side sessions behind every web login and API token family."""

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class UserSession(db.Model):
    """One signed-in device; revoking it signs that device out on its next request."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="web")
    ip: Mapped[str] = mapped_column(String(45), nullable=False, default="")
    user_agent: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    device: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    remember: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active_role: Mapped[str | None] = mapped_column(String(10))
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    last_seen_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    expires_at = mapped_column(Timestamp, nullable=False)
    revoked_at = mapped_column(Timestamp)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    # The one refresh token of this session's family that may still be used (rotation).
    refresh_jti: Mapped[str | None] = mapped_column(String(64))
    # The token it replaced, and when: parallel refreshes of a single-page app may still use
    # that one within REFRESH_REUSE_GRACE_SECONDS.
    previous_refresh_jti: Mapped[str | None] = mapped_column(String(64))
    rotated_at = mapped_column(Timestamp)
    # The last password, passkey or TOTP check on this session after its sign-in
    # (re-authentication); the sign-in itself counts from created_at.
    reauth_at = mapped_column(Timestamp)

    user = relationship("User", lazy="joined")
