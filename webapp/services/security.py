"""Security views: each user's own (failures against their email, lockouts, new sign-ins,
trusted devices, factor changes) and the admins' feed with its actions."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.models import LoginAttempt, LoginLockout, SecurityEvent, User, utcnow
from webapp.services import alerts, devices, lockout, mfa

# Kinds of events this app writes (other features may add more: the feed filter takes any name).
KINDS = (
    "lockout",
    "password_spraying",
    "credential_stuffing",
    "failure_surge",
    "unusual_time",
    "impossible_travel",
    "new_sign_in",
    "account_secured",
    "factor_change",
    "captcha_failed",
)
KIND_RE = re.compile(r"^[a-z_]{1,32}$")
FAILURES = ("bad_credentials", "unknown_user", "locked", "blocked_ip")


@dataclass
class FailureCount:
    """Failed attempts against one email in a window, and from where."""

    total: int
    countries: dict[str, int]
    succeeded: int  # successful sign-ins from the addresses that failed


def failures_against(user: User, days: int, now: datetime | None = None) -> FailureCount:
    """Failed attempts against the user's email in the last `days` days (an index range on
    (email_tried, created_at)), by country, and how many of those addresses then got in."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    rows = db.session.execute(
        select(LoginAttempt.country, LoginAttempt.ip, func.count())
        .where(
            LoginAttempt.email_tried == user.email,
            LoginAttempt.created_at >= since,
            LoginAttempt.success.is_(False),
            LoginAttempt.reason.in_(FAILURES),
        )
        .group_by(LoginAttempt.country, LoginAttempt.ip)
    ).all()
    countries: Counter = Counter()
    for country, _ip, n in rows:
        countries[country] += n
    ips = {ip for _c, ip, _n in rows}
    succeeded = 0
    if ips:
        succeeded = db.session.scalar(
            select(func.count()).where(
                LoginAttempt.user_id == user.id,
                LoginAttempt.created_at >= since,
                LoginAttempt.success.is_(True),
                LoginAttempt.ip.in_(list(ips)[:500]),
            )
        )
    return FailureCount(sum(countries.values()), dict(countries), int(succeeded or 0))


def locked_until(user: User, now: datetime | None = None) -> datetime | None:
    """When the current lock on the user's email ends, or None."""
    row = lockout.lock_status(user.email)
    now = now or utcnow()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def summary(user: User, now: datetime | None = None) -> dict:
    """The figures of the security page and of `security/summary/`."""
    now = now or utcnow()
    week, month = failures_against(user, 7, now), failures_against(user, 30, now)
    new_devices = db.session.scalar(
        select(func.count()).where(
            SecurityEvent.user_id == user.id,
            SecurityEvent.kind == alerts.NEW_SIGN_IN,
            SecurityEvent.created_at >= now - timedelta(days=30),
        )
    )
    trusted = len(devices.live_devices(user.id)) + len(mfa.trusted_browsers(user.id))
    return {
        "failed_attempts_7d": week.total,
        "failed_attempts_30d": month.total,
        "countries_7d": {c: n for c, n in week.countries.items() if c},
        "countries_30d": {c: n for c, n in month.countries.items() if c},
        "succeeded_7d": week.succeeded,
        "locked_until": locked_until(user, now),
        "new_devices_30d": int(new_devices or 0),
        "trusted_devices": trusted,
        "sentence": sentence(week),
    }


def sentence(week: FailureCount) -> str:
    """The plain-language summary: "12 failed attempts from 3 countries this week; none
    succeeded"."""
    if not week.total:
        return "No failed sign-in attempts against your email this week."
    attempts = "1 failed attempt" if week.total == 1 else f"{week.total} failed attempts"
    known = [c for c in week.countries if c]
    where = ""
    if known:
        where = " from 1 country" if len(known) == 1 else f" from {len(known)} countries"
    outcome = (
        "none succeeded"
        if not week.succeeded
        else f"{week.succeeded} sign-in(s) later succeeded from those addresses"
    )
    return f"{attempts}{where} this week; {outcome}."


def _own_events(user: User):
    return select(SecurityEvent).where(
        or_(SecurityEvent.user_id == user.id, SecurityEvent.email == user.email)
    )


def own_events(user: User, offset: int, limit: int) -> tuple[int, list[SecurityEvent]]:
    """The user's events, newest first: lockouts of their email, attacks against it, new
    sign-ins, factor changes. Returns (total, one page)."""
    query = _own_events(user)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
        .offset(offset)
        .limit(limit)
    ).scalars()
    return total, list(rows)


def event_dict(event: SecurityEvent, tz: ZoneInfo) -> dict:
    """An event as the API shows it."""
    return {
        "id": event.id,
        "kind": event.kind,
        "created_at": event.created_at.replace(tzinfo=UTC).astimezone(tz).isoformat(),
        "ip_address": event.ip,
        "country": event.country,
        "device": event.device,
        "details": event.details,
    }


def admin_event_dict(event: SecurityEvent, tz: ZoneInfo) -> dict:
    """An event as the admin feed shows it (who, and whether acknowledged)."""
    acknowledged = event.acknowledged_at
    return {
        **event_dict(event, tz),
        "user_id": event.user_id,
        "email": event.email,
        "acknowledged": acknowledged is not None,
        "acknowledged_at": acknowledged.replace(tzinfo=UTC).astimezone(tz).isoformat()
        if acknowledged
        else None,
    }


class FeedError(ValueError):
    """A bad filter of the admin feed."""


def feed_query(kind: str | None = None, acknowledged: str | None = None):
    """Every event, newest first, optionally of one kind and (un)acknowledged."""
    query = select(SecurityEvent)
    if kind:
        if not KIND_RE.match(kind):
            raise FeedError("kind must be an event kind such as 'lockout'.")
        query = query.where(SecurityEvent.kind == kind)
    if acknowledged:
        if acknowledged not in ("true", "false"):
            raise FeedError("acknowledged must be 'true' or 'false'.")
        column = SecurityEvent.acknowledged_at
        query = query.where(column.is_not(None) if acknowledged == "true" else column.is_(None))
    return query.order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())


def feed(
    kind: str | None, acknowledged: str | None, offset: int, limit: int
) -> tuple[int, list[SecurityEvent]]:
    """(total, one page) of the admin feed."""
    query = feed_query(kind, acknowledged)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return total, list(db.session.execute(query.offset(offset).limit(limit)).scalars())


def acknowledge(event_id: int) -> SecurityEvent | None:
    """Mark an event seen by an admin (again is fine); None if there is none."""
    event = db.session.get(SecurityEvent, event_id)
    if event is not None and event.acknowledged_at is None:
        event.acknowledged_at = utcnow()
    return event


def lock_account(user: User, hours: int | None = None) -> datetime:
    """Lock the user's email for ADMIN_LOCK_HOURS (the lockout every sign-in already obeys);
    the unlock link or a password reset ends it early."""
    until = utcnow() + timedelta(hours=hours or current_app.config["ADMIN_LOCK_HOURS"])
    row = db.session.get(LoginLockout, user.email)
    if row is None:
        row = LoginLockout(email=user.email, failures=0, level=0)
        db.session.add(row)
    row.locked_until = until
    return until


def force_reset(user: User) -> None:
    """The password stops working, every session ends and a reset link is mailed."""
    from webapp.services.auth import force_password_reset

    force_password_reset(user)
