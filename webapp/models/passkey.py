"""Passkeys: WebAuthn credentials registered to an account."""

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow


class Passkey(db.Model):
    """One WebAuthn credential: its id, public key (COSE) and signature counter."""

    __tablename__ = "passkeys"
    __table_args__ = (
        Index("ix_passkeys_user_created", "user_id", "created_at"),
        Index("ux_passkeys_credential_id", "credential_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # base64url of the raw credential id (at most 1023 bytes by the spec; real ones are short)
    credential_id: Mapped[str] = mapped_column(String(191), nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sign_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    transports: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    last_used_at = mapped_column(Timestamp)
