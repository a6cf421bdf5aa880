"""New-sign-in alerts: a sign-in from a new device, network or country mails its owner.

What a user signed in from is kept in a few KnownSignIn rows (device = browser family + OS
+ device type, network = /24 or /48, country), never read back from the attempts. A sign-in
from a device, network or country not seen for NEW_SIGN_IN_MEMORY_DAYS, or without a device
cookie, is a "new_sign_in" SecurityEvent with a mail and a dashboard notice, at most one a
day per device. Its two links ("It was me", "Secure my account") are signed, expire and work
once: the event's resolution is the single use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webapp.extensions import db
from webapp.models import KnownSignIn, SecurityEvent, User, utcnow
from webapp.services import clock, geo
from webapp.services.analytics import viewer_timezone
from webapp.services.mail import send_email
from webapp.services.tracking import AttemptContext, device_label, ua_facets

NEW_SIGN_IN, SECURED = "new_sign_in", "account_secured"
KNOWN, SECURE = "known", "secured"
SALT = "doorman.sign-in-alert"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Place:
    """Where a sign-in came from, as the known-sign-ins table keys it."""

    device: str
    network: str
    country: str

    @classmethod
    def of(cls, ctx: AttemptContext) -> Place:
        """The device, network and country of an attempt."""
        return cls(
            "|".join(ua_facets(ctx.user_agent or "")),
            geo.network_of(ctx.ip),
            geo.country_of(ctx.ip),
        )

    def pairs(self) -> list[tuple[str, str]]:
        """(kind, value) pairs; no country for private and unknown addresses."""
        pairs = [("device", self.device), ("network", self.network)]
        return pairs + ([("country", self.country)] if self.country else [])


def notice_new_sign_in(
    user: User, ctx: AttemptContext, *, has_device_cookie: bool
) -> SecurityEvent | None:
    """After a successful sign-in: remember where it came from, and alert the owner when it is
    new (first sign-ins ever only teach what is known)."""
    if not current_app.config["NEW_SIGN_IN_ALERTS"]:
        return None
    now = ctx.started_at
    place = Place.of(ctx)
    memory = now - timedelta(days=current_app.config["NEW_SIGN_IN_MEMORY_DAYS"])
    rows = db.session.execute(
        select(KnownSignIn.kind, KnownSignIn.value, KnownSignIn.last_seen_at).where(
            KnownSignIn.user_id == user.id
        )
    ).all()  # a handful per user: one per device, network and country
    if not rows:
        _remember(user.id, place.pairs(), now)
        return None
    seen = {(kind, value): last for kind, value, last in rows if last >= memory}
    new = [pair for pair in place.pairs() if pair not in seen]
    if not has_device_cookie and ("device", place.device) not in new:
        new.append(("device", place.device))
    # The memory is counted in days: a pair refreshed within the last day is left as it is,
    # which spares most sign-ins a write.
    _remember(user.id, [pair for pair in place.pairs() if seen.get(pair, now) <= now - DAY], now)
    if not new:
        return None
    return _alert(user, ctx, place, [kind for kind, _value in new], now)


def _alert(
    user: User, ctx: AttemptContext, place: Place, what: list[str], now: datetime
) -> SecurityEvent | None:
    """One event and one mail per user and device a day: no storms."""
    subject = f"{user.id}|{place.device}"[:191]
    earlier = db.session.scalar(
        select(SecurityEvent.id)
        .where(
            SecurityEvent.kind == NEW_SIGN_IN,
            SecurityEvent.subject == subject,
            SecurityEvent.created_at >= now - DAY,
        )
        .limit(1)
    )
    if earlier is not None:
        return None
    label = device_label(ctx.user_agent or "")
    event = SecurityEvent(
        kind=NEW_SIGN_IN,
        user_id=user.id,
        email=user.email,
        ip=ctx.ip[:45],
        country=place.country,
        device=label,
        subject=subject,
        details="New " + ", ".join(dict.fromkeys(what)) + ".",
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    send_email(
        user.email,
        _l("New sign-in to your account"),
        "new_sign_in",
        user=user,
        when=clock.when(now, viewer_timezone(user)),  # the recipient's zone
        device=label,
        ip=ctx.ip,
        country=geo.country_label(place.country),
        hours=current_app.config["ALERT_LINK_HOURS"],
        known_url=url_for("auth.sign_in_alert", token=_link(event, KNOWN), _external=True),
        secure_url=url_for("auth.sign_in_alert", token=_link(event, SECURE), _external=True),
    )
    return event


def _remember(user_id: int, pairs: list[tuple[str, str]], now: datetime) -> None:
    """Insert or refresh known sign-in rows (an upsert: parallel sign-ins cannot collide)."""
    if not pairs:
        return
    table = KnownSignIn.__table__
    rows = [
        {"user_id": user_id, "kind": k, "value": v[:128], "first_seen_at": now, "last_seen_at": now}
        for k, v in pairs
    ]
    if db.session.get_bind().dialect.name == "sqlite":
        stmt = sqlite_insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "kind", "value"],
            set_={"last_seen_at": stmt.excluded.last_seen_at},
        )
    else:
        stmt = mysql_insert(table)
        stmt = stmt.on_duplicate_key_update(last_seen_at=stmt.inserted.last_seen_at)
    db.session.execute(stmt, rows)


def pending_notices(user_id: int, limit: int = 5) -> list[SecurityEvent]:
    """New-sign-in notices the user has not answered yet (the last 30 days), newest first."""
    return list(
        db.session.execute(
            select(SecurityEvent)
            .where(
                SecurityEvent.user_id == user_id,
                SecurityEvent.kind == NEW_SIGN_IN,
                SecurityEvent.resolved_at.is_(None),
                SecurityEvent.created_at >= utcnow() - timedelta(days=30),
            )
            .order_by(SecurityEvent.created_at.desc())
            .limit(limit)
        ).scalars()
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _link(event: SecurityEvent, action: str) -> str:
    return _serializer().dumps([event.id, action])


@dataclass
class LinkCheck:
    """A mailed alert link: its event and action, or an error (invalid | expired | used)."""

    event: SecurityEvent | None = None
    action: str = ""
    error: str | None = None


def check_link(token: str) -> LinkCheck:
    """Read an alert link without using it."""
    max_age = current_app.config["ALERT_LINK_HOURS"] * 3600
    try:
        event_id, action = _serializer().loads(token or "", max_age=max_age)
    except BadData as exc:
        expired = exc.__class__.__name__ == "SignatureExpired"
        return LinkCheck(error="expired" if expired else "invalid")
    except (ValueError, TypeError):
        return LinkCheck(error="invalid")
    event = db.session.get(SecurityEvent, event_id) if isinstance(event_id, int) else None
    if event is None or event.kind != NEW_SIGN_IN or action not in (KNOWN, SECURE):
        return LinkCheck(error="invalid")
    if event.resolved_at is not None:
        return LinkCheck(event, action, "used")
    return LinkCheck(event, action)


def use_link(token: str) -> LinkCheck:
    """Use an alert link once: "known" marks the sign-in known, "secured" locks the account
    down (see secure_account)."""
    check = check_link(token)
    if check.error is None:
        resolve(check.event, check.action)
    return check


def resolve(event: SecurityEvent, action: str) -> None:
    """Answer a new-sign-in notice (from the mail or the dashboard)."""
    now = utcnow()
    event.resolution, event.resolved_at = action, now
    user = db.session.get(User, event.user_id) if event.user_id else None
    if user is None:
        return
    if action == KNOWN:
        pairs = [("device", event.subject.split("|", 1)[-1]), ("network", geo.network_of(event.ip))]
        _remember(user.id, pairs + ([("country", event.country)] if event.country else []), now)
    else:
        secure_account(user, event)


def secure_account(user: User, event: SecurityEvent | None = None) -> None:
    """ "This wasn't me": every session, token, trusted device and browser ends, the password
    stops working (a reset link is mailed), the admins are told and it is recorded."""
    from webapp.services.auth import force_password_reset

    force_password_reset(user)  # ends sessions, their tokens, trusted devices and browsers
    db.session.add(
        SecurityEvent(
            kind=SECURED,
            user_id=user.id,
            email=user.email,
            ip=event.ip if event else "",
            country=event.country if event else "",
            device=event.device if event else "",
            subject=f"user:{user.id}",
            details="The owner reported a sign-in they did not make; every session ended and "
            "a password reset is required.",
            created_at=utcnow(),
        )
    )
    admins = db.session.execute(
        select(User.email).where(User.role == "admin", User.is_active.is_(True))
    ).scalars()
    for email in admins:
        send_email(
            email,
            _l("a user secured their account"),
            "account_secured",
            user=user,
            event=event,
            country=geo.country_label(event.country) if event else "",
        )
