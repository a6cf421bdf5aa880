"""Second factors: recovery codes and browsers trusted to skip the second step."""

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class RecoveryCode(db.Model):
    """One single-use recovery code, stored only as a keyed hash."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_used", "user_id", "used_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    used_at = mapped_column(Timestamp)


class TrustedBrowser(db.Model):
    """A browser that skips the second factor until it expires or is revoked."""

    __tablename__ = "trusted_browsers"
    __table_args__ = (Index("ix_trusted_browsers_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    ip: Mapped[str] = mapped_column(String(45), nullable=False, default="")
    device: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    last_used_at = mapped_column(Timestamp)
    expires_at = mapped_column(Timestamp, nullable=False)
    revoked_at = mapped_column(Timestamp)
