"""The mail outbox: every message is a row, written with the change that caused it."""

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import BigId, Timestamp, utcnow

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
STATUSES = (PENDING, SENDING, SENT, DEAD)


class OutboxMail(db.Model):
    """One outgoing message and its delivery state (pending -> sending -> sent | dead)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        # The sender's scan: due rows of one status, oldest first.
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        Index("ix_mail_outbox_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Kept across retries, so a receiver can drop a copy sent twice after a lost answer.
    message_id: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    claimed_until = mapped_column(Timestamp)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)
    sent_at = mapped_column(Timestamp)

    def __repr__(self) -> str:
        return f"<OutboxMail {self.id} {self.status} to {self.recipient}>"
