"""The User aggregate: identity, credentials, profile and login bookkeeping."""

from __future__ import annotations

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow

ROLES = ("user", "staff", "admin")


class User(UserMixin, db.Model):
    """A person who can sign in."""

    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_created", "created_at"),  # sign-ups of a window (acquisition)
        Index("ix_users_source", "source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    username: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="user")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    email_verified_at = mapped_column(Timestamp)

    full_name: Mapped[str | None] = mapped_column(String(120))
    bio: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    date_of_birth = mapped_column(Date)
    avatar_path: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # A language code of config LANGUAGES; None follows the browser.
    language: Mapped[str | None] = mapped_column(String(8))

    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    last_login_at = mapped_column(Timestamp)
    last_login_ip: Mapped[str | None] = mapped_column(String(45))
    last_seen_at = mapped_column(Timestamp)
    login_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    # Set when the first code confirmed the secret; until then the secret is only pending.
    totp_enabled_at = mapped_column(Timestamp)
    # The newest 30 s time step a code was accepted for: older and equal steps are replays.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # An admin asked this account for a second factor, whatever its role.
    mfa_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    phone_verified_at = mapped_column(Timestamp)
    registration_source: Mapped[str] = mapped_column(String(16), nullable=False, default="web")
    # The channel above says how (web, api, admin, demo); the source says where from.
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration_sources.id", ondelete="SET NULL")
    )
    source = relationship("RegistrationSource", lazy="select")

    # Set by the user loader (not columns): the UserSession this request belongs to,
    # and the narrower role that session chose to view as, if any.
    session_key = None
    view_role = None

    def get_id(self) -> str:
        """Flask-Login identity: the server-side session key, so revocation is one lookup."""
        return self.session_key or ""

    @property
    def is_verified(self) -> bool:
        """Whether the email address has been confirmed."""
        return self.email_verified_at is not None

    @property
    def display_name(self) -> str:
        """The name shown in the navbar."""
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
