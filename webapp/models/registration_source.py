"""Registration sources: where sign-ups come from (campaign, search, social, direct, a site)."""

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import Timestamp, utcnow

CATEGORIES = ("campaign", "search", "social", "referral", "direct")


class RegistrationSource(db.Model):
    """A readable group of sign-ups; many users point at one source."""

    __tablename__ = "registration_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # category|platform|medium|campaign, normalised: sign-ups with the same key share the row.
    key: Mapped[str] = mapped_column(String(191), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False, default="direct")
    utm_source: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    utm_medium: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    utm_campaign: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    referrer_host: Mapped[str] = mapped_column(String(253), nullable=False, default="")
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<RegistrationSource {self.id} {self.key}>"
