"""Device cookies (OWASP "slow down online guessing"): trust the clients an account signed in from.

A sign-in sends a long-lived, signed, HttpOnly cookie naming the account and a secret; the
server keeps the secret's hash as a TrustedDevice that can be revoked and locked on its own.
A client showing a live cookie for the account it tries is judged by its own failures only.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import inspect, select, update

from webapp.extensions import db
from webapp.models import TrustedDevice, User, utcnow

SALT = "doorman.device-cookie"
COOKIE_MAX = 512  # a real cookie is about 100 characters; longer ones are not read


def recognise(cookie: str | None, user_id: int | None) -> TrustedDevice | None:
    """The live trusted device that cookie names for this account, or None: no cookie, or one
    for another account, forged, revoked or expired, is an untrusted client."""
    token = _token(cookie, user_id)
    if token is None:
        return None
    row = db.session.execute(
        select(TrustedDevice).where(TrustedDevice.token_hash == _digest(token))
    ).scalar_one_or_none()
    return row if row is not None and row.user_id == user_id and _live(row) else None


def reread(device: TrustedDevice | None) -> TrustedDevice | None:
    """The device's row read afresh (under the email's lock its failures are current), or None
    if it was revoked meanwhile."""
    if device is None:
        return None
    key = inspect(device).identity  # not device.id: a rollback may have expired the row
    row = db.session.get(TrustedDevice, key, populate_existing=True)
    return row if row is not None and _live(row) else None


def signed_in(
    user: User, device: TrustedDevice | None, cookie: str | None, ip: str, label: str
) -> str:
    """The device cookie a sign-in sends back: a trusted device's own (used now, and trusted
    for another full term), or a new trusted device's."""
    now = utcnow()
    if device is not None:
        device.last_used_at = now
        device.expires_at = now + _lifetime()
        return cookie
    token = secrets.token_urlsafe(32)
    db.session.add(
        TrustedDevice(
            user_id=user.id,
            token_hash=_digest(token),
            device=label[:120],
            ip=ip[:45],
            created_at=now,
            last_used_at=now,
            expires_at=now + _lifetime(),
            failures=0,
            level=0,
        )
    )
    return _serializer().dumps([user.id, token])


def set_cookie(response, value: str | None) -> None:
    """Set the device cookie: HttpOnly, SameSite=Lax, the whole site, Secure like the session."""
    if not value:
        return
    cfg = current_app.config
    response.set_cookie(
        cfg["DEVICE_COOKIE_NAME"],
        value,
        max_age=int(_lifetime().total_seconds()),
        path="/",
        secure=bool(cfg["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Lax",
    )


def live_devices(user_id: int) -> list[TrustedDevice]:
    """A user's trusted devices that are neither revoked nor expired, last used first."""
    return list(
        db.session.execute(
            select(TrustedDevice)
            .where(
                TrustedDevice.user_id == user_id,
                TrustedDevice.revoked_at.is_(None),
                TrustedDevice.expires_at > utcnow(),
            )
            .order_by(TrustedDevice.last_used_at.desc(), TrustedDevice.id.desc())
        ).scalars()
    )


def revoke_own(user: User, device_id: int) -> bool:
    """Stop trusting one of the user's own devices; False if it is not theirs or not live."""
    result = db.session.execute(
        update(TrustedDevice)
        .where(
            TrustedDevice.id == device_id,
            TrustedDevice.user_id == user.id,
            TrustedDevice.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow(), revoked_reason="revoked_by_user")
    )
    return result.rowcount == 1


def revoke_all(user_id: int, reason: str) -> int:
    """Stop trusting every device of a user; returns how many."""
    result = db.session.execute(
        update(TrustedDevice)
        .where(TrustedDevice.user_id == user_id, TrustedDevice.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason[:32])
    )
    return result.rowcount


def _token(cookie: str | None, user_id: int | None) -> str | None:
    """The secret of a genuine cookie naming this account (no database read for the others)."""
    if not cookie or user_id is None or len(cookie) > COOKIE_MAX:
        return None
    try:
        owner, token = _serializer().loads(cookie)
    except (BadData, ValueError, TypeError):
        return None
    return token if owner == user_id and isinstance(token, str) else None


def _live(row: TrustedDevice) -> bool:
    return row.revoked_at is None and row.expires_at > utcnow()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["DEVICE_COOKIE_DAYS"])
