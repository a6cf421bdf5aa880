"""Attack detection: password spraying, credential stuffing, unusual time, impossible travel.

Every rule reads bounded data: short windows through the indexes on (ip, created_at),
(email_tried, created_at) and (user_id, created_at), or a few rollup rows. Findings are
SecurityEvents, one per subject and window. Brute force on one account is the lockout.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from webapp.extensions import db
from webapp.models import LoginAttempt, LoginStat, SecurityEvent, User, utcnow
from webapp.models.login_attempt import EVERYONE_KEY
from webapp.services import geo
from webapp.services.analytics import viewer_timezone
from webapp.services.tracking import AttemptContext

SPRAYING, STUFFING, SURGE = "password_spraying", "credential_stuffing", "failure_surge"
UNUSUAL_TIME, TRAVEL = "unusual_time", "impossible_travel"
ATTACKS = (SPRAYING, STUFFING, SURGE)
FAILURES = ("bad_credentials", "unknown_user")
HOUR = timedelta(hours=1)


def check_failure(ctx: AttemptContext, now: datetime | None = None) -> list[SecurityEvent]:
    """After a recorded failed sign-in: spraying from its address, stuffing against its email,
    a failure surge across all accounts."""
    if ctx.reason not in FAILURES:
        return []
    now = now or utcnow()
    found = [spraying(ctx.ip, now), stuffing(ctx.email, now), surge(now)]
    return [event for event in found if event is not None]


def spraying(ip: str, now: datetime) -> SecurityEvent | None:
    """One address (or its IPv4 /24) failing against many distinct emails in a short window."""
    cfg = current_app.config
    since = now - timedelta(minutes=cfg["SIGNAL_SPRAY_WINDOW_MINUTES"])
    network, where = _network_filter(ip)
    emails = db.session.scalar(
        select(func.count(func.distinct(LoginAttempt.email_tried))).where(
            where,
            LoginAttempt.created_at >= since,
            LoginAttempt.reason.in_(FAILURES),
        )
    )
    if (emails or 0) < cfg["SIGNAL_SPRAY_EMAILS"]:
        return None
    return _finding(
        SPRAYING,
        network,
        since,
        ip=ip,
        details=f"{emails} different emails failed from {network} within "
        f"{cfg['SIGNAL_SPRAY_WINDOW_MINUTES']} minutes.",
    )


def stuffing(email: str, now: datetime) -> SecurityEvent | None:
    """Many addresses failing against one email in a short window."""
    if not email:
        return None
    cfg = current_app.config
    since = now - timedelta(minutes=cfg["SIGNAL_STUFFING_WINDOW_MINUTES"])
    ips = db.session.scalar(
        select(func.count(func.distinct(LoginAttempt.ip))).where(
            LoginAttempt.email_tried == email,
            LoginAttempt.created_at >= since,
            LoginAttempt.reason.in_(FAILURES),
        )
    )
    if (ips or 0) < cfg["SIGNAL_STUFFING_IPS"]:
        return None
    user_id = db.session.scalar(select(User.id).where(User.email == email))
    return _finding(
        STUFFING,
        email,
        since,
        email=email,
        user_id=user_id,
        details=f"{ips} different addresses failed against this email within "
        f"{cfg['SIGNAL_STUFFING_WINDOW_MINUTES']} minutes.",
    )


def surge(now: datetime) -> SecurityEvent | None:
    """Failures across all accounts in the last hour far above the usual for this hour of day:
    at least SIGNAL_SURGE_MIN_FAILURES and more than SIGNAL_SURGE_FACTOR times the mean of the
    same hour on the previous SIGNAL_SURGE_BASELINE_DAYS days (everyone's rollup rows only)."""
    cfg = current_app.config
    days = cfg["SIGNAL_SURGE_BASELINE_DAYS"]
    current = _everyone_failures((now - HOUR, now))
    if current < cfg["SIGNAL_SURGE_MIN_FAILURES"]:
        return None
    usual = _everyone_failures(
        *[(now - HOUR - timedelta(days=d), now - timedelta(days=d)) for d in range(1, days + 1)]
    ) / max(days, 1)
    if current <= cfg["SIGNAL_SURGE_FACTOR"] * usual:
        return None
    return _finding(
        SURGE,
        "*",
        now - HOUR,
        details=f"{current} failed sign-ins in the last hour; usually {usual:.1f} at this hour.",
    )


def check_sign_in(user: User, ctx: AttemptContext, now: datetime | None = None) -> list:
    """After a successful sign-in: unusual time for this user, impossible travel."""
    now = now or ctx.started_at
    found = [unusual_time(user, ctx, now), impossible_travel(user, ctx, now)]
    return [event for event in found if event is not None]


def usual_hours(user: User, now: datetime) -> tuple[int, int] | None:
    """The user's usual span of local hours (first, last), from the successes of the last
    SIGNAL_USUAL_HOURS_DAYS days in the rollup; None until there are enough of them.
    The span runs from the earliest to the latest local hour with a sign-in (a span across
    midnight becomes the whole day between: fewer badges, never more)."""
    cfg = current_app.config
    since = now - timedelta(days=cfg["SIGNAL_USUAL_HOURS_DAYS"])
    rows = db.session.execute(
        select(LoginStat.bucket_start, LoginStat.successes).where(
            LoginStat.user_key == user.id,
            LoginStat.bucket_start >= since,
            LoginStat.bucket_start < _bucket(now),  # this sign-in is not its own baseline
            LoginStat.successes > 0,
        )
    ).all()
    if sum(n for _b, n in rows) < cfg["SIGNAL_USUAL_HOURS_MIN_SIGN_INS"]:
        return None
    tz = viewer_timezone(user)
    hours = [b.replace(tzinfo=UTC).astimezone(tz).hour for b, _n in rows]
    return min(hours), max(hours)


def unusual_time(user: User, ctx: AttemptContext, now: datetime) -> SecurityEvent | None:
    """A sign-in outside the user's usual hours: "03:12, outside your usual 08–19"."""
    span = usual_hours(user, now)
    if span is None:
        return None
    local = now.replace(tzinfo=UTC).astimezone(viewer_timezone(user))
    if span[0] <= local.hour <= span[1]:
        return None
    return _finding(
        UNUSUAL_TIME,
        f"user:{user.id}",
        now - timedelta(days=1),
        user_id=user.id,
        email=user.email,
        ip=ctx.ip,
        country=geo.country_of(ctx.ip),
        device=ctx_device(ctx),
        details=f"{local:%H:%M}, outside your usual {span[0]:02d}–{span[1]:02d}",
    )


def impossible_travel(user: User, ctx: AttemptContext, now: datetime) -> SecurityEvent | None:
    """Two sign-ins of one user from different countries less than SIGNAL_TRAVEL_HOURS apart:
    nobody travels between countries that fast, so one of them is someone else. Addresses
    without a country (private, unknown) never count."""
    country = geo.country_of(ctx.ip)
    if not country:
        return None
    hours = current_app.config["SIGNAL_TRAVEL_HOURS"]
    since = now - timedelta(hours=hours)
    previous = db.session.execute(
        select(LoginAttempt.created_at, LoginAttempt.country, LoginAttempt.ip)
        .where(
            LoginAttempt.user_id == user.id,
            LoginAttempt.created_at >= since,
            LoginAttempt.created_at < now,
            LoginAttempt.success.is_(True),
            LoginAttempt.country != "",
            LoginAttempt.country != country,
        )
        .order_by(LoginAttempt.created_at.desc())
        .limit(1)
    ).first()
    if previous is None:
        return None
    gap = int((now - previous.created_at).total_seconds() // 60)
    return _finding(
        TRAVEL,
        f"user:{user.id}:{previous.country}:{country}",
        since,
        user_id=user.id,
        email=user.email,
        ip=ctx.ip,
        country=country,
        device=ctx_device(ctx),
        details=f"Signed in from {geo.country_label(previous.country)} ({previous.ip}) and "
        f"{gap // 60} h {gap % 60:02d} min later from {geo.country_label(country)}.",
    )


def ctx_device(ctx: AttemptContext) -> str:
    """The device label of an attempt."""
    from webapp.services.tracking import device_label

    return device_label(ctx.user_agent or "")


def _finding(kind: str, subject: str, since: datetime, **fields) -> SecurityEvent | None:
    """A new event unless one of this kind and subject was recorded since the window began."""
    subject = subject[:191]
    seen = db.session.scalar(
        select(SecurityEvent.id)
        .where(
            SecurityEvent.kind == kind,
            SecurityEvent.subject == subject,
            SecurityEvent.created_at >= since,
        )
        .limit(1)
    )
    if seen is not None:
        return None
    fields.setdefault("email", "")
    fields.setdefault("ip", "")
    fields["ip"] = fields["ip"][:45]
    event = SecurityEvent(kind=kind, subject=subject, created_at=utcnow(), **fields)
    db.session.add(event)
    db.session.flush()
    return event


def _network_filter(ip: str):
    """(label, SQL condition): an IPv4 address's /24 as a prefix range on the ip column (the
    (ip, created_at) index serves it), any other address by itself."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip, LoginAttempt.ip == ip
    if address.version != 4:
        return ip, LoginAttempt.ip == ip
    prefix = ip.rsplit(".", 1)[0] + "."
    # "a.b.c." up to "a.b.c/" ('/' sorts right after '.'): exactly the addresses of the /24.
    return geo.network_of(ip), (LoginAttempt.ip >= prefix) & (LoginAttempt.ip < prefix[:-1] + "/")


def _bucket(moment: datetime) -> datetime:
    from webapp.services.tracking import bucket_of

    return bucket_of(moment)


def _everyone_failures(*spans: tuple[datetime, datetime]) -> int:
    """Failures of all accounts in some [start, end) spans, from everyone's 15-minute rollup
    rows (a few rows per span, one query)."""
    if not spans:
        return 0
    total = db.session.scalar(
        select(func.sum(LoginStat.failures)).where(
            LoginStat.user_key == EVERYONE_KEY,
            or_(
                *[
                    and_(LoginStat.bucket_start >= _bucket(start), LoginStat.bucket_start < end)
                    for start, end in spans
                ]
            ),
        )
    )
    return int(total or 0)
