"""Roles: user < staff < admin, and 'view as' narrowing that never grants anything."""

from __future__ import annotations

from sqlalchemy import update

from webapp.extensions import db
from webapp.models import User, UserSession

ORDER = {"user": 0, "staff": 1, "admin": 2}
# Names on the JSON wire (API.md) and in the app.
WIRE_NAMES = {"regular": "user", "staff": "staff", "superuser": "admin"}
LABELS = {"user": "Regular user", "staff": "Staff", "admin": "Administrator"}


def effective_role(user: User) -> str:
    """The role a signed-in user acts with: the real one, or the narrower one chosen."""
    chosen = getattr(user, "view_role", None)
    if chosen in ORDER and ORDER[chosen] < ORDER.get(user.role, 0):
        return chosen
    return user.role if user.role in ORDER else "user"


def has_role(user, needed: str) -> bool:
    """True if an authenticated user's effective role is at least the needed one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return ORDER[effective_role(user)] >= ORDER[needed]


def is_staff(user) -> bool:
    """Staff or admin (effective)."""
    return has_role(user, "staff")


def is_admin(user) -> bool:
    """Admin (effective)."""
    return has_role(user, "admin")


def switch_role(user: User, session_key: str | None, role: str) -> str:
    """Narrow this session's view to a role at or below the real one; returns it.

    Raises ValueError for an unknown role and PermissionError above the real role.
    """
    if role not in ORDER:
        raise ValueError("Invalid role.")
    if ORDER[role] > ORDER.get(user.role, 0):
        raise PermissionError("You cannot switch to a role above your own.")
    stored = None if role == user.role else role
    if session_key:
        db.session.execute(
            update(UserSession).where(UserSession.id == session_key).values(active_role=stored)
        )
    user.view_role = stored
    return role
