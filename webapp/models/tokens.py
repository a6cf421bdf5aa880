"""Single-use secrets: email links and 6-digit codes, stored only as hashes."""

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class OneTimeToken(db.Model):
    """A link token or code for one purpose; only the newest of a purpose is live."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (
        Index("ix_one_time_tokens_user_purpose", "user_id", "purpose"),
        Index("ix_one_time_tokens_hash", "secret_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(24), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    payload: Mapped[str | None] = mapped_column(String(254))
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    expires_at = mapped_column(Timestamp, nullable=False)
    used_at = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until = mapped_column(Timestamp)
