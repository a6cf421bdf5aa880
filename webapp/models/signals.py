"""What the security signals keep: each user's known sign-in places, and blocked networks."""

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class KnownSignIn(db.Model):
    """A device, network or country a user signed in from, and when last: a handful of rows
    per user, so "seen in the last 90 days" never reads the attempts."""

    __tablename__ = "known_sign_ins"
    __table_args__ = (UniqueConstraint("user_id", "kind", "value", name="uq_known_sign_ins"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # device | network | country
    value: Mapped[str] = mapped_column(String(128), nullable=False)
    first_seen_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    last_seen_at = mapped_column(Timestamp, nullable=False, default=utcnow)


class IpBlock(db.Model):
    """An address or network refused on every sign-in endpoint until it expires."""

    __tablename__ = "ip_blocks"
    __table_args__ = (Index("ix_ip_blocks_expires", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cidr: Mapped[str] = mapped_column(String(49), nullable=False)
    reason: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    expires_at = mapped_column(Timestamp, nullable=False)
