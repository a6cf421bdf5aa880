"""One-time link tokens and 6-digit codes: issue, check, consume."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import OneTimeToken, User, utcnow

VERIFY_LINK = "verify_link"
VERIFY_CODE = "verify_code"
RESET_LINK = "reset_link"
UNLOCK_LINK = "unlock_link"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(
    user: User, purpose: str, lifetime: timedelta, *, code: bool = False, payload: str | None = None
) -> str:
    """Create a token for user and purpose, retiring older live ones; return the raw secret."""
    now = utcnow()
    _retire(user.id, purpose, now)
    secret = f"{secrets.randbelow(10**6):06d}" if code else secrets.token_urlsafe(32)
    db.session.add(
        OneTimeToken(
            purpose=purpose,
            user_id=user.id,
            secret_hash=_digest(secret),
            payload=payload,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return secret


@dataclass
class TokenCheck:
    """The outcome of checking a token: the token when valid, else an error code."""

    token: OneTimeToken | None = None
    error: str | None = None  # invalid | expired | used | locked
    retry_after: int = 0
    user_id: int | None = None  # the owner, also when the token is used or expired


def check_link(purpose: str, raw: str) -> TokenCheck:
    """Find a live link token by its raw secret (row-locked so it is used only once)."""
    if not raw or len(raw) > 128:
        return TokenCheck(error="invalid")
    token = db.session.execute(
        select(OneTimeToken)
        .where(OneTimeToken.secret_hash == _digest(raw), OneTimeToken.purpose == purpose)
        .with_for_update()
    ).scalar_one_or_none()
    if token is None:
        return TokenCheck(error="invalid")
    if token.used_at is not None:
        return TokenCheck(error="used", user_id=token.user_id)
    if token.expires_at <= utcnow():
        return TokenCheck(error="expired", user_id=token.user_id)
    return TokenCheck(token=token, user_id=token.user_id)


def check_code(user: User, purpose: str, code: str) -> TokenCheck:
    """Check a 6-digit code for user against the newest live code, counting wrong tries."""
    cfg = current_app.config
    now = utcnow()
    token = db.session.execute(
        select(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .order_by(OneTimeToken.id.desc())
        .limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if token is None:
        return TokenCheck(error="invalid")
    if token.locked_until and token.locked_until > now:
        return TokenCheck(error="locked", retry_after=_seconds(token.locked_until - now))
    if token.expires_at <= now:
        return TokenCheck(error="expired")
    if not hmac.compare_digest(token.secret_hash, _digest((code or "").strip())):
        token.attempts += 1
        if token.attempts >= cfg["CODE_MAX_ATTEMPTS"]:
            token.attempts = 0
            token.locked_until = now + timedelta(minutes=cfg["CODE_LOCK_MINUTES"])
        return TokenCheck(error="invalid")
    return TokenCheck(token=token)


def consume(token: OneTimeToken) -> None:
    """Mark a token used, and retire the user's other live tokens of the same family."""
    now = utcnow()
    token.used_at = now
    family = {VERIFY_LINK: VERIFY_CODE, VERIFY_CODE: VERIFY_LINK}.get(token.purpose)
    if family and token.user_id:
        _retire(token.user_id, family, now)


def _retire(user_id: int, purpose: str, now) -> None:
    """Mark every live token of a user and purpose as used: only the newest is live."""
    db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user_id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
