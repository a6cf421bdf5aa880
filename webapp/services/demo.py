"""Demo data: users in several time zones and realistic login attempts, bulk-inserted."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, update

from webapp.extensions import db
from webapp.models import LoginAttempt, User, utcnow
from webapp.services import sources
from webapp.services.auth import create_user
from webapp.services.passwords import hash_password
from webapp.services.tracking import RollupBatch, device_label

# Where demo users came from, so the acquisition page has something to show.
DEMO_LANDINGS = [
    sources.Landing(),
    sources.Landing(referrer_host="google.com"),
    sources.Landing(utm_source="facebook", utm_medium="social", utm_campaign="Spring campaign"),
    sources.Landing(referrer_host="linkedin.com"),
    sources.Landing(referrer_host="news.ycombinator.com"),
]
TIMEZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "America/Los_Angeles",
    "UTC",
    "Asia/Tokyo",
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
]
ATTACK_UA = "python-requests/2.32.3"
# Local hours weighted toward working hours (peaks mid-morning and mid-afternoon).
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 17, 14, 10, 12, 15, 16, 14, 10, 7, 5, 4, 3, 2, 1]
CHUNK = 10_000
DEMO_DOMAIN = "example.org"  # a real-looking domain: email validation refuses .local


@dataclass
class DemoSummary:
    """What seed_demo created, and the credentials to print."""

    users: int
    attempts: int
    admin_email: str
    admin_password: str
    user_password: str


def seed_demo(
    users: int = 25,
    days: int = 30,
    attempts: int = 5000,
    *,
    progress: Callable[[int], None] | None = None,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> DemoSummary:
    """Create an admin, a staff member and regular users, then their attempts (caller commits)."""
    rng = rng or random.Random()
    now = now or utcnow()
    admin_password = secrets.token_urlsafe(12)
    user_password = "demo-" + secrets.token_urlsafe(8)
    admin = _existing_or_new("admin", "admin", admin_password, "UTC")
    _existing_or_new("staff", "staff", user_password, "Europe/Berlin")
    shared_hash = hash_password(user_password)  # one hash keeps large seeds fast
    start = db.session.scalar(select(func.count(User.id)).where(User.role == "user")) + 1
    origins = [sources.source_for(landing, "demo").id for landing in DEMO_LANDINGS]
    rows = [
        {
            "username": f"user{n:05d}",
            "email": f"user{n:05d}@{DEMO_DOMAIN}",
            "password_hash": shared_hash,
            "role": "user",
            "is_active": True,
            "email_verified_at": now - timedelta(days=days + 1),
            "timezone": TIMEZONES[n % len(TIMEZONES)],
            "registration_source": "demo",
            "source_id": origins[n % len(origins)],
            "created_at": now - timedelta(days=days + rng.randint(1, 365)),
            "login_count": 0,
        }
        for n in range(start, start + max(users - 2, 0))
    ]
    for i in range(0, len(rows), CHUNK):
        db.session.execute(insert(User), rows[i : i + CHUNK])
    people = db.session.execute(select(User.id, User.email, User.timezone)).all()
    total = _seed_attempts(people, admin, days, attempts, now, rng, progress)
    return DemoSummary(len(people), total, admin.email, admin_password, user_password)


def _existing_or_new(name: str, role: str, password: str, tz: str) -> User:
    email = f"{name}@{DEMO_DOMAIN}"
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = create_user(
            name, email, password, role=role, verified=True, source="demo", timezone=tz
        )
    else:
        user.password_hash = hash_password(password)
    return user


def _seed_attempts(people, admin, days, attempts, now, rng, progress) -> int:
    """Generate attempts in chunks; aggregate rollups and login counters as we go."""
    rollups = RollupBatch()
    logins: dict[int, list] = {}
    devices = {ua: device_label(ua) for ua in USER_AGENTS + [ATTACK_UA]}
    hours = list(range(24))
    batch: list[dict] = []
    written = 0

    def flush() -> None:
        nonlocal written
        if batch:
            db.session.execute(insert(LoginAttempt), batch)
            written += len(batch)
            if progress:
                progress(len(batch))
            batch.clear()

    zones = {tz: ZoneInfo(tz or "UTC") for tz in set(p.timezone for p in people)}
    for n in range(attempts):
        person = people[rng.randrange(len(people))]
        zone = zones[person.timezone]
        local_day = (now - timedelta(days=rng.randrange(max(days, 1)))).astimezone(zone).date()
        hour = rng.choices(hours, HOUR_WEIGHTS)[0]
        local = datetime(
            local_day.year,
            local_day.month,
            local_day.day,
            hour,
            rng.randrange(60),
            rng.randrange(60),
            n * 7919 % 1_000_000,  # real attempts spread over everyone's rollup shards too
            tzinfo=zone,
        )
        when = local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        if when > now:
            when = now - timedelta(seconds=rng.randrange(3600))
        ok = rng.random() > 0.08
        ua = (
            USER_AGENTS[person.id % len(USER_AGENTS)]
            if rng.random() < 0.85
            else rng.choice(USER_AGENTS)
        )
        ip = f"198.51.100.{person.id % 250 + 1}"
        batch.append(_row(person.id, person.email, ok, when, ip, ua, devices))
        rollups.add(person.id, when, ok, ua, ip=ip, email=person.email)
        if ok:
            last = logins.setdefault(person.id, [0, None])
            last[0] += 1
            last[1] = when if last[1] is None or when > last[1] else last[1]
        if len(batch) >= CHUNK:
            flush()
    # A small brute-force burst two days ago: one IP, the admin account and guessed emails.
    burst_start = now - timedelta(days=min(2, max(days - 1, 0)), hours=3)
    for i in range(min(40, max(attempts // 50, 10))):
        when = burst_start + timedelta(seconds=4 * i)
        target = admin if i % 3 else None
        email = admin.email if target else f"guess{i}@{DEMO_DOMAIN}"
        row = _row(
            target.id if target else None, email, False, when, "203.0.113.66", ATTACK_UA, devices
        )
        row["reason"] = "bad_credentials" if target else "unknown_user"
        batch.append(row)
        rollups.add(
            target.id if target else None, when, False, ATTACK_UA, ip=row["ip"], email=email
        )
    flush()
    rollups.write()
    if logins:
        users = User.__table__
        stmt = (
            update(users)
            .where(users.c.id == bindparam("uid"))
            .values(
                login_count=users.c.login_count + bindparam("n"), last_login_at=bindparam("last")
            )
        )
        db.session.connection().execute(
            stmt, [{"uid": uid, "n": n, "last": last} for uid, (n, last) in logins.items()]
        )
    return written


def _row(user_id, email, ok, when, ip, ua, devices) -> dict:
    return {
        "user_id": user_id,
        "email_tried": email,
        "success": ok,
        "method": "password",
        "reason": "ok" if ok else "bad_credentials",
        "ip": ip,
        "user_agent": ua,
        "device": devices[ua],
        "session_id": None,
        "created_at": when,
    }
