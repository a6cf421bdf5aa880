"""Re-authentication: sensitive changes need a recent password, passkey or TOTP check.

The time of the last check lives on the server-side session (UserSession.reauth_at; the
sign-in itself counts from created_at), so it holds for the web page and the API alike and
cannot be forged by a client.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from webapp.extensions import db
from webapp.models import User, UserSession, utcnow
from webapp.services import mfa, passkeys
from webapp.services.passwords import verify_password

METHODS = ("password", "passkey", "totp")


def _session_of(user: User) -> UserSession | None:
    key = getattr(user, "session_key", None)
    return db.session.get(UserSession, key) if key else None


def is_recent(user: User) -> bool:
    """Whether this session's last factor check is within REAUTH_MINUTES."""
    row = _session_of(user)
    if row is None or row.user_id != user.id:
        return False
    last = row.reauth_at or row.created_at
    return utcnow() - last <= timedelta(minutes=current_app.config["REAUTH_MINUTES"])


def methods(user: User) -> list[str]:
    """The factors this account can re-authenticate with."""
    found = ["password"] if user.password_hash else []
    if passkeys.has_passkey(user):
        found.append("passkey")
    if mfa.totp_enabled(user):
        found.append("totp")
    return found


def mark(user: User) -> None:
    """Note a factor check on this session now."""
    row = _session_of(user)
    if row is not None:
        row.reauth_at = utcnow()


def confirm_password(user: User, password: str) -> bool:
    """Re-authenticate with the password."""
    if not password or not user.password_hash or len(password) > 1024:
        return False
    ok = verify_password(user.password_hash, password)[0]
    if ok:
        mark(user)
    return ok


def confirm_totp(user: User, code: str) -> bool:
    """Re-authenticate with a TOTP code (a used time step is refused, as at sign-in)."""
    ok = mfa.totp_enabled(user) and mfa.check_totp(user, code) == "ok"
    if ok:
        mark(user)
    return ok


def confirm_passkey(user: User, challenge_id: str, credential: dict | str, ip: str = "") -> str:
    """Re-authenticate with one of the account's passkeys; ok or the passkey's refusal."""
    status = passkeys.verify_assertion(
        challenge_id, credential, ip=ip, expected_user_id=user.id
    ).status
    if status == "ok":
        mark(user)
    return status


def confirm(user: User, method: str, data: dict, ip: str = "") -> bool:
    """Re-authenticate with any factor: `data` holds password, code, or challenge_id and
    credential."""
    if method == "password":
        return confirm_password(user, _text(data.get("password")))
    if method == "totp":
        return confirm_totp(user, _text(data.get("code")))
    if method == "passkey":
        credential = data.get("credential")
        return confirm_passkey(user, _text(data.get("challenge_id")), credential, ip) == "ok"
    return False


def _text(value) -> str:
    return value if isinstance(value, str) else ""
