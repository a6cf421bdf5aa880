"""Recording admin actions in the audit log."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import AdminAudit, User


def record(actor: User | None, action: str, target_type: str, target_id, details: str = "") -> None:
    """Add one audit row (the caller commits)."""
    db.session.add(
        AdminAudit(
            actor_id=getattr(actor, "id", None),
            actor_email=getattr(actor, "email", "") or "",
            action=action[:40],
            target_type=target_type[:40],
            target_id=str(target_id)[:64],
            details=details[:2000],
        )
    )
