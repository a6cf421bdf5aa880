"""Admin actions on records, each returning what it changed in words for the audit log."""

from __future__ import annotations

from flask_login import current_user

from webapp.extensions import db
from webapp.models import SecurityEvent, User, utcnow
from webapp.services import audit, auth, blocks, lockout, mfa, security, sessions


def verify(user: User) -> str:
    """Mark the email verified."""
    if user.email_verified_at is not None:
        return "email already verified; unchanged"
    user.email_verified_at = utcnow()
    return "email_verified: no → yes"


def set_flag(user: User, name: str, value: bool) -> str:
    """Set a yes/no field."""
    old = getattr(user, name)
    setattr(user, name, value)
    return audit.change(name, old, value)


def set_active(user: User, active: bool) -> str:
    """Activate or deactivate; deactivation ends every session."""
    old, live = user.is_active, audit.live_sessions(user.id)
    auth.set_active(user, active)
    ended = f"; {live} session(s) ended" if not active else ""
    return audit.change("is_active", old, active) + ended


def unlock(user: User) -> str:
    """Lift the sign-in lock of the email."""
    was_locked = audit.is_locked(user.email)
    lockout.unlock_email(user.email)
    return "sign-in lock lifted" if was_locked else "was not locked; failure count reset"


def force_reset(user: User) -> str:
    """Clear the password, end every session and mail a reset link."""
    had_password, live = user.password_hash is not None, audit.live_sessions(user.id)
    auth.force_password_reset(user)
    cleared = "password cleared" if had_password else "had no password"
    return f"{cleared}; {live} session(s) ended; reset link mailed"


def reset_mfa(user: User) -> str:
    """Remove the authenticator, recovery codes and trusted browsers."""
    had_totp, codes = user.totp_enabled_at is not None, audit.recovery_codes(user.id)
    mfa.reset_totp(user)
    if not had_totp and not codes:
        return "no authenticator was set; trusted browsers forgotten"
    return f"authenticator removed; {codes} recovery code(s) deleted; trusted browsers forgotten"


def sign_out(user: User) -> str:
    """End every session."""
    return f"{sessions.revoke_all(user.id, 'admin_sign_out')} session(s) ended"


def acknowledge(event: SecurityEvent) -> str:
    """Acknowledge a security event."""
    if event.acknowledged_at is not None:
        return f"{audit.describe(event)}; already acknowledged"
    event.acknowledged_at = utcnow()
    return f"{audit.describe(event)}; acknowledged"


def block_ip(event: SecurityEvent) -> str:
    """Block the address of a security event for 24 hours."""
    if not event.ip:
        return f"{audit.describe(event)}; no address to block"
    block = blocks.add_block(event.ip, 24, f"security event {event.id}", current_user)
    return f"blocked {block.cidr} for 24 hours ({audit.describe(event)})"


def lock_account(user: User) -> str:
    """Lock sign-in to an account for the configured hours."""
    hours = security.lock_account(user) - utcnow()
    return f"{user.email} locked for {round(hours.total_seconds() / 3600)} hours"


def on_user(event: SecurityEvent, fn) -> str:
    """Apply an account action to the user an event is about (events of no user: nothing)."""
    user = db.session.get(User, event.user_id) if event.user_id else None
    if user is None:
        return f"{audit.describe(event)}; no account to act on"
    return f"{user.email}: {fn(user)}"
