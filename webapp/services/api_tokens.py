"""JWT pairs bound to server-side sessions: issue, rotate with reuse detection, check."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import User, UserSession, utcnow
from webapp.services.sessions import revoke


class RefreshRefused(Exception):
    """A refresh token that is unknown, expired, revoked, or reused (the family is revoked)."""


def issue_pair(session: UserSession) -> dict[str, str]:
    """A fresh access token and the session's one live refresh token (its id was chosen
    when the session opened, so a login writes the session row once)."""
    return _pair(session.user_id, session.id, session.refresh_jti)


def _pair(user_id: int, session_id: str, refresh_jti: str) -> dict[str, str]:
    # The double-submit CSRF values are chosen here, so the cookies can be set without
    # decoding the fresh tokens again (login latency).
    access_csrf, refresh_csrf = uuid.uuid4().hex, uuid.uuid4().hex
    claims = {"sid": session_id}
    return {
        "access": create_access_token(
            identity=str(user_id), additional_claims={**claims, "csrf": access_csrf}
        ),
        "refresh": create_refresh_token(
            identity=str(user_id),
            additional_claims={**claims, "jti": refresh_jti, "csrf": refresh_csrf},
        ),
        "access_csrf": access_csrf,
        "refresh_csrf": refresh_csrf,
    }


def set_cookies(response, tokens: dict[str, str]) -> None:
    """Set the HTTP-only JWT cookies and their readable CSRF cookies (as Flask-JWT-Extended's
    set_access_cookies/set_refresh_cookies do, with the CSRF values already known)."""
    from flask_jwt_extended.config import config

    cookies = [
        (config.access_cookie_name, "access", True, config.access_cookie_path),
        (config.refresh_cookie_name, "refresh", True, config.refresh_cookie_path),
    ]
    if config.cookie_csrf_protect and config.csrf_in_cookies:
        cookies += [
            (config.access_csrf_cookie_name, "access_csrf", False, config.access_csrf_cookie_path),
            (
                config.refresh_csrf_cookie_name,
                "refresh_csrf",
                False,
                config.refresh_csrf_cookie_path,
            ),
        ]
    for name, key, httponly, path in cookies:
        response.set_cookie(
            name,
            tokens[key],
            max_age=config.cookie_max_age,
            secure=config.cookie_secure,
            domain=config.cookie_domain,
            samesite=config.cookie_samesite,
            httponly=httponly,
            path=path,
        )


def public(tokens: dict[str, str]) -> dict[str, str]:
    """The pair as the API returns it: {"access", "refresh"}."""
    return {"access": tokens["access"], "refresh": tokens["refresh"]}


def rotate(claims: dict, *, now: datetime | None = None) -> dict[str, str]:
    """Swap a refresh token for a new pair; a second use of a token revokes the session,
    unless it is the token rotated away less than REFRESH_REUSE_GRACE_SECONDS ago.

    The compare-and-set UPDATE lets exactly one of several parallel refreshes win; the
    others, inside the grace window, get the session's current pair.
    """
    session_id, jti = claims.get("sid"), claims.get("jti")
    new_jti = uuid.uuid4().hex
    now = now or utcnow()
    won = db.session.execute(
        update(UserSession)
        .where(
            UserSession.id == session_id,
            UserSession.refresh_jti == jti,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
        .values(
            refresh_jti=new_jti,
            previous_refresh_jti=jti,
            rotated_at=now,
            last_seen_at=now,
            expires_at=now + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
        )
    ).rowcount
    if won == 1:
        return _pair(int(claims["sub"]), session_id, new_jti)
    current = _grace_jti(session_id, jti, now)
    if current is not None:
        return _pair(int(claims["sub"]), session_id, current)
    if session_id:
        revoke(session_id, "refresh_reuse")
    raise RefreshRefused()


def _grace_jti(session_id: str | None, jti: str | None, now: datetime) -> str | None:
    """The session's live refresh id when jti is the one rotated away within the grace window.

    The same token again, not a new rotation: a second rotation would make the winner's token
    stale, and the next parallel refresh would then be a reuse. The read locks the row, so
    it sees the rotation a parallel request has just committed (InnoDB's plain reads would
    keep this transaction's older snapshot).
    """
    grace = current_app.config["REFRESH_REUSE_GRACE_SECONDS"]
    if not session_id or not jti or grace <= 0:
        return None
    return db.session.execute(
        select(UserSession.refresh_jti)
        .where(
            UserSession.id == session_id,
            UserSession.previous_refresh_jti == jti,
            UserSession.rotated_at > now - timedelta(seconds=grace),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
        .with_for_update()
    ).scalar_one_or_none()


def load_session_user(session_id: str | None) -> User | None:
    """The active user behind a live session (one joined query), or None."""
    if not session_id:
        return None
    row = db.session.execute(
        select(UserSession).where(UserSession.id == session_id)
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = row.user
    if not user.is_active:
        return None
    user.session_key = row.id
    user.view_role = row.active_role
    return user
