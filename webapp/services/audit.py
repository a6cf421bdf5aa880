"""Recording admin actions in the audit log, and saying in words what they changed and to whom."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    AdminAudit,
    IpBlock,
    LoginLockout,
    OutboxMail,
    RegistrationSource,
    SecurityEvent,
    User,
    UserSession,
    utcnow,
)
from webapp.models.mfa import RecoveryCode


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


def change(name: str, old, new) -> str:
    """One changed field as "name: old → new" (yes/no for flags, "–" for empty)."""
    return f"{name}: {_shown(old)} → {_shown(new)}"


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "–"
    return str(value)[:80]


def describe(row) -> str:
    """A record in a few words, naming the person it belongs to where there is one."""
    if isinstance(row, User):
        return f"{row.email} ({row.username}, {row.role})"
    if isinstance(row, UserSession):
        owner = row.user.email if row.user else f"user {row.user_id}"
        return f"session of {owner}: {row.kind}, {row.device or 'unknown device'}, {row.ip or '–'}"
    if isinstance(row, SecurityEvent):
        return f"{row.kind.replace('_', ' ')} event for {row.email or row.ip or 'nobody'}"
    if isinstance(row, OutboxMail):
        return f"mail to {row.recipient}: {row.subject}"
    if isinstance(row, IpBlock):
        return f"block of {row.cidr}" + (f" ({row.reason})" if row.reason else "")
    if isinstance(row, RegistrationSource):
        return f"source {row.name}"
    return f"{type(row).__name__} {getattr(row, 'id', '')}"


def live_sessions(user_id: int) -> int:
    """How many sessions of a user are still open (before an action ends them)."""
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    )


def recovery_codes(user_id: int) -> int:
    """How many unused recovery codes a user has."""
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )


def is_locked(email: str) -> bool:
    """Whether sign-in to an email is locked right now."""
    row = db.session.get(LoginLockout, email)
    return row is not None and row.locked_until is not None and row.locked_until > utcnow()


# Per kind of target: the model, and how to name a row and find the account it concerns.
_TARGETS = {
    "User": (User, lambda r: r.email, lambda r: r.id),
    "UserSession": (UserSession, lambda r: describe(r), lambda r: r.user_id),
    "SecurityEvent": (SecurityEvent, lambda r: describe(r), lambda r: r.user_id),
    "OutboxMail": (OutboxMail, lambda r: describe(r), lambda r: None),
    "IpBlock": (IpBlock, lambda r: describe(r), lambda r: None),
    "RegistrationSource": (RegistrationSource, lambda r: describe(r), lambda r: None),
}


def targets(entries) -> dict[tuple[str, str], tuple[str, int | None]]:
    """(target_type, target_id) of audit rows -> (a name for it, the account to link to).

    One query per kind of target whatever the number of rows; targets that no longer exist
    are left out.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.target_type in _TARGETS:
            wanted[entry.target_type].add(entry.target_id)
    found = {}
    for kind, ids in wanted.items():
        model, name, owner = _TARGETS[kind]
        key_type = model.__table__.c.id.type.python_type
        keys = [_key(raw, key_type) for raw in ids]
        keys = [k for k in keys if k is not None]
        if not keys:
            continue
        for row in db.session.execute(select(model).where(model.id.in_(keys))).scalars():
            found[(kind, str(row.id))] = (name(row), owner(row))
    return found


def _key(raw: str, key_type):
    """An audit row's target id as the model's key type (None when it cannot be one)."""
    if key_type is int:
        return int(raw) if raw.isdigit() and len(raw) < 19 else None
    return raw
