"""Second factors: attempts per sign-in method and second-factor coverage per role."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import (
    case,
    func,
    select,
)

from webapp.extensions import db
from webapp.models import LoginAttempt, User, utcnow
from webapp.services import tracking
from webapp.services.analytics.windows import Scope, Window

# The order dashboards show sign-in methods in (others, if any, follow by name).
METHOD_ORDER = (
    "password",
    "api_token",
    "passkey",
    "totp",
    "recovery_code",
    "email_code",
    "sms_code",
)


def methods(scope: Scope, window: Window) -> list[dict]:
    """Attempts per method in a window: [{"method", "successes", "failures"}].

    One grouped query over the attempts, bounded by the window through the (user_id,
    created_at) or (created_at) index; a password step that led to a second one is neither.
    """
    start, end = window.utc_bounds()
    query = (
        select(LoginAttempt.method, LoginAttempt.success, func.count())
        .where(
            LoginAttempt.created_at >= start,
            LoginAttempt.created_at < end,
            LoginAttempt.reason.not_in(tracking.NOT_COUNTED),
        )
        .group_by(LoginAttempt.method, LoginAttempt.success)
    )
    if (condition := scope.attempt_filter()) is not None:
        query = query.where(condition)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for method, success, n in db.session.execute(query):
        counts[method][0 if success else 1] += int(n)
    order = {m: i for i, m in enumerate(METHOD_ORDER)}
    return [
        {"method": m, "successes": counts[m][0], "failures": counts[m][1]}
        for m in sorted(counts, key=lambda m: (order.get(m, len(order)), m))
    ]


def factor_coverage() -> list[dict]:
    """Per role: active users, how many have a second factor, and the share in percent."""
    rows = db.session.execute(
        select(
            User.role,
            func.count(User.id),
            func.count(User.totp_enabled_at),
        )
        .where(User.is_active.is_(True))
        .group_by(User.role)
    ).all()
    found = {role: (int(n), int(on)) for role, n, on in rows}
    return [
        {
            "role": role,
            "users": found.get(role, (0, 0))[0],
            "with_second_factor": found.get(role, (0, 0))[1],
            "percent": round(100 * found[role][1] / found[role][0], 1)
            if found.get(role, (0, 0))[0]
            else 0.0,
        }
        for role in ("user", "staff", "admin")
    ]


def factor_coverage_trend(months: int = 6, now: datetime | None = None) -> dict[str, float]:
    """The share of active users with a second factor at the end of each of the last months
    (users counted from their creation; factors from when they were turned on and kept)."""
    now = now or utcnow()
    ends = []
    year, month = now.year, now.month
    for _ in range(months):
        ends.append((f"{year:04d}-{month:02d}", datetime(year, month, 1)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    trend = {}
    for label, first_day in reversed(ends):
        month_end = (first_day + timedelta(days=32)).replace(day=1)
        users, on = db.session.execute(
            select(
                func.count(User.id),
                func.count(case((User.totp_enabled_at < month_end, 1))),
            ).where(User.is_active.is_(True), User.created_at < month_end)
        ).one()
        trend[label] = round(100 * on / users, 1) if users else 0.0
    return trend
