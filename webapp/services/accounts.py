"""Account self-service: profile, email change, sessions, data export, deletion."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import LoginAttempt, User, UserSession, utcnow
from webapp.services import i18n, tokens
from webapp.services.auth import USERNAME_RE, email_error, find_user_by_email, normalise_email
from webapp.services.mail import send_email
from webapp.services.passwords import verify_password
from webapp.services.sessions import revoke, revoke_all
from webapp.services.tracking import forget_failed_emails, reassign_rollups

PHONE_RE = re.compile(r"^[+0-9 ().-]{0,32}$")
CHANGE_EMAIL = "change_email"
EMAIL_CHANGE_HOURS = 24


@lru_cache(maxsize=1)
def timezone_names() -> list[str]:
    """Every IANA zone name, sorted."""
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def profile_errors(user: User, data: dict) -> dict[str, list[str]]:
    """Validate profile fields (only those present in data)."""
    errors: dict[str, list[str]] = {}
    if "username" in data:
        name = (data["username"] or "").strip()
        if not 4 <= len(name) <= 32:
            errors["username"] = ["Must have min 4 and max 32 characters"]
        elif not USERNAME_RE.match(name):
            errors["username"] = ["Use only letters, digits, dots, dashes and underscores"]
        elif (
            name.lower() != user.username.lower()
            and db.session.execute(
                select(User.id).where(func.lower(User.username) == name.lower())
            ).first()
        ):
            errors["username"] = ["Username already exists"]
    if len(data.get("full_name") or "") > 120:
        errors["full_name"] = ["At most 120 characters."]
    if len(data.get("bio") or "") > 2000:
        errors["bio"] = ["At most 2000 characters."]
    if not PHONE_RE.match(data.get("phone") or ""):
        errors["phone"] = ["Use digits, spaces, + ( ) - and . only (at most 32)."]
    born = data.get("date_of_birth")
    if born is not None and not isinstance(born, date):
        errors["date_of_birth"] = ["Invalid date format. Use YYYY-MM-DD format."]
    elif born is not None and not date(1900, 1, 1) <= born <= date.today():
        errors["date_of_birth"] = ["Enter a date between 1900 and today."]
    tz = data.get("timezone")
    if tz and tz not in timezone_names():
        errors["timezone"] = ["Unknown time zone."]
    language = data.get("language")
    if language and not i18n.supported(language):
        errors["language"] = ["Unknown language."]
    return errors


def update_profile(user: User, data: dict) -> dict[str, list[str]]:
    """Apply profile changes when valid; returns field errors."""
    errors = profile_errors(user, data)
    if errors:
        return errors
    for field in ("full_name", "bio", "phone", "timezone", "language"):
        if field in data:
            setattr(user, field, (data[field] or "").strip() or None)
    if "username" in data:
        user.username = data["username"].strip()
    if "date_of_birth" in data:
        user.date_of_birth = data["date_of_birth"]
    return {}


def request_email_change(user: User, new_email: str, password: str) -> dict[str, list[str]]:
    """Mail a confirmation link to the new address and tell the old one."""
    ok, _ = verify_password(user.password_hash, password or "")
    if not ok:
        return {"password": ["Current password is incorrect"]}
    new_email = normalise_email(new_email)
    if email_error(new_email):
        return {"email": ["E-mail is not valid"]}
    if new_email == user.email or find_user_by_email(new_email) is not None:
        return {"email": ["E-mail in use"]}
    raw = tokens.issue(user, CHANGE_EMAIL, timedelta(hours=EMAIL_CHANGE_HOURS), payload=new_email)
    send_email(
        new_email,
        _l("confirm your new email address"),
        "change_email",
        user=user,
        new_email=new_email,
        hours=EMAIL_CHANGE_HOURS,
        confirm_url=url_for("account.confirm_email", token=raw, _external=True),
    )
    send_email(
        user.email,
        _l("your email address is changing"),
        "email_change_notice",
        user=user,
        new_email=new_email,
    )
    return {}


def confirm_email_change(raw: str) -> User | None:
    """Use a change-email link: the new address takes effect, verified."""
    check = tokens.check_link(CHANGE_EMAIL, raw)
    if check.token is None or not check.token.payload:
        return None
    user = db.session.get(User, check.token.user_id)
    if find_user_by_email(check.token.payload) is not None:
        return None
    tokens.consume(check.token)
    user.email = check.token.payload
    user.email_verified_at = utcnow()
    return user


def active_sessions(user_id: int) -> list[UserSession]:
    """Live sessions of a user, most recently seen first."""
    return list(
        db.session.execute(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > utcnow(),
            )
            .order_by(UserSession.last_seen_at.desc())
        ).scalars()
    )


def revoke_own_session(user: User, session_id: str) -> bool:
    """Revoke one of the user's own sessions; False if it is not theirs."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        return False
    revoke(session_id, "revoked_by_user")
    return True


def revoke_other_sessions(user: User) -> int:
    """Sign out everywhere else."""
    return revoke_all(user.id, "revoked_by_user", keep=user.session_key)


def export_data(user: User) -> dict:
    """The profile and the full login history, for 'download my data'."""
    attempts = db.session.execute(
        select(LoginAttempt)
        .where(LoginAttempt.user_id == user.id)
        .order_by(LoginAttempt.created_at, LoginAttempt.id)
    ).scalars()
    return {
        "profile": {
            "id": user.id,
            "username": user.username,
            "email": user.email,
            "full_name": user.full_name,
            "bio": user.bio,
            "phone": user.phone,
            "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else None,
            "timezone": user.timezone,
            "role": user.role,
            "created_at": _iso(user.created_at),
            "email_verified_at": _iso(user.email_verified_at),
            "last_login_at": _iso(user.last_login_at),
            "login_count": user.login_count,
        },
        "login_attempts": [
            {
                "time": _iso(a.created_at),
                "success": a.success,
                "method": a.method,
                "reason": a.reason,
                "ip": a.ip,
                "device": a.device,
                "user_agent": a.user_agent,
            }
            for a in attempts
        ],
    }


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def delete_account(user: User, password: str) -> tuple[dict[str, list[str]], str | None]:
    """Delete a user after the password check; returns (errors, avatar file to remove)."""
    ok, _ = verify_password(user.password_hash, password or "")
    if not ok:
        return {"password": ["Current password is incorrect"]}, None
    delete_user(user)
    return {}, user.avatar_path


def delete_user(user: User) -> None:
    """Remove a user; attempts are anonymised and rollups move to 'no account'."""
    forget_failed_emails(user.id)
    db.session.execute(
        update(LoginAttempt)
        .where(LoginAttempt.user_id == user.id)
        .values(user_id=None, email_tried="")
        .execution_options(synchronize_session=False)
    )
    reassign_rollups(user.id)
    db.session.delete(user)
    current_app.logger.info("deleted user %s", user.id)
