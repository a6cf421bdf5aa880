"""The quantities dashboards show: stats, trends, comparison, distribution, user agents."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import (
    bindparam,
    func,
    select,
    union_all,
)

from webapp.extensions import db
from webapp.models import LoginDeviceStat
from webapp.models.base import Timestamp
from webapp.services import tracking
from webapp.services.analytics.rollups import (
    _KEYS,
    _NEWEST,
    _grouped,
    _month,
    _window_params,
    day_counts,
    iso_week,
    totals,
    trend_percent,
)
from webapp.services.analytics.windows import Scope, Window, today_in, trend_windows

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def stats(scope: Scope, window: Window, *, now: datetime | None = None) -> dict:
    """Totals, success rate, last login, this week/month, weekly/monthly counts, trend %."""
    days = day_counts(scope, window)
    successes, failures = _sum_pairs(days)
    total = successes + failures
    weekly: dict[str, int] = {}
    monthly: dict[str, int] = {}
    for day, (s, _f) in zip(window.day_list(), days, strict=True):
        weekly[iso_week(day)] = weekly.get(iso_week(day), 0) + s
        monthly[_month(day)] = monthly.get(_month(day), 0) + s
    if window.all_time:
        first, second = (totals(scope, half)[0] for half in trend_windows(window.tz, now=now))
    elif window.explicit:
        first = sum(s for s, _f in days[: window.days // 2])
        second = successes - first
    else:
        first, second = totals(scope, window.shifted(-window.days))[0], successes
    today = today_in(window.tz, now)
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    recent_window = Window(min(week_start, month_start), today, window.tz)
    recent = list(zip(recent_window.day_list(), day_counts(scope, recent_window), strict=True))
    return {
        "total": total,
        "successful": successes,
        "failed": failures,
        "success_rate": round(successes * 100 / total, 1) if total else 0.0,
        "last_login": last_login(scope, window),
        "this_week": sum(s + f for d, (s, f) in recent if d >= week_start),
        "this_month": sum(s + f for d, (s, f) in recent if d >= month_start),
        "weekly": weekly,
        "monthly": monthly,
        "trend": trend_percent(first, second),
        "trend_base": first,  # 0: there is no earlier figure to compare with
    }


def _sum_pairs(pairs) -> tuple[int, int]:
    s = f = 0
    for a, b in pairs:
        s += a
        f += b
    return s, f


def last_login(scope: Scope, window: Window) -> datetime | None:
    """The newest successful sign-in inside the window, in the viewer's zone.

    Each rollup bucket keeps its newest success, and window bounds are bucket-aligned, so
    this reads the rollup alone, however many attempts the window holds.
    """
    moment = db.session.scalar(_NEWEST, _window_params(scope.rollup_keys(), window))
    return _local(moment, window)


def _local(moment: datetime | None, window: Window) -> datetime | None:
    return moment.replace(tzinfo=UTC).astimezone(window.tz) if moment else None


def trends(scope: Scope, window: Window) -> dict:
    """Daily successes and failures, one zero-filled entry per day."""
    return _daily_series(day_counts(scope, window), window)


def _daily_series(days: list[tuple[int, int]], window: Window) -> dict:
    return {
        "labels": [d.isoformat() for d in window.day_list()],
        "successes": [s for s, _f in days],
        "failures": [f for _s, f in days],
    }


def comparison(scope: Scope, window: Window) -> dict:
    """Weekly (up to 31 days) or monthly buckets, and this period vs the previous one."""
    days = day_counts(scope, window)
    weekly = window.days <= 31
    if weekly:

        def label(d: date) -> str:
            return (d - timedelta(days=d.weekday())).isoformat()
    else:
        label = _month
    order: dict[str, list[int]] = {}
    for d, (s, f) in zip(window.day_list(), days, strict=True):
        cell = order.setdefault(label(d), [0, 0])
        cell[0] += s
        cell[1] += f
    current = _counts(*_sum_pairs(days))
    previous = _counts(*totals(scope, window.shifted(-window.days)))
    return {
        "granularity": "week" if weekly else "month",
        "labels": list(order),
        "successes": [v[0] for v in order.values()],
        "failures": [v[1] for v in order.values()],
        "current": current,
        "previous": previous,
        "previous_start": (window.start - timedelta(days=window.days)).isoformat(),
        "previous_end": (window.start - timedelta(days=1)).isoformat(),
        "delta": {
            key: {
                "change": current[key] - previous[key],
                "percent": trend_percent(previous[key], current[key]),
            }
            for key in current
        },
    }


def _counts(successes: int, failures: int) -> dict[str, int]:
    return {"successes": successes, "failures": failures, "total": successes + failures}


def distribution(scope: Scope, window: Window) -> dict:
    """Success ratio, hour of day, weekday, hour x weekday heatmap, browser/OS/device type."""
    hours = [[0, 0] for _ in range(24)]
    weekdays = [[0, 0] for _ in range(7)]
    heatmap = [[0] * 24 for _ in range(7)]
    # One SQL row per hour of the week (counted from the window's first day): 168 at most.
    cells = _grouped(scope.rollup_keys(), window, "hour_of_week")
    first_weekday = window.start.weekday()
    for cell, s, f in cells:
        s, f = int(s), int(f)
        h, wd = int(cell) % 24, (first_weekday + int(cell) // 24) % 7
        hours[h][0] += s
        hours[h][1] += f
        weekdays[wd][0] += s
        weekdays[wd][1] += f
        heatmap[wd][h] += s + f
    s_total, f_total = _sum_pairs(hours)
    return {
        "success_ratio": {"successful": s_total, "failed": f_total},
        "hour_of_day": {
            "successes": [c[0] for c in hours],
            "failures": [c[1] for c in hours],
        },
        "day_of_week": {
            "labels": WEEKDAYS,
            "successes": [c[0] for c in weekdays],
            "failures": [c[1] for c in weekdays],
        },
        "heatmap": heatmap,
        **user_agents(scope, window),
    }


@lru_cache(maxsize=64)
def _devices_statement(spans: tuple[str, ...]):
    """Device rollup sums over pieces of a window (parameters low<i>, high<i>): one index
    range per piece (whole days, edge hours, edge quarters), summed in SQL."""
    device = LoginDeviceStat
    pieces = union_all(
        *[
            select(device.browser, device.os, device.device_type, device.attempts).where(
                device.user_key.in_(_KEYS),
                device.span == span,
                device.bucket_start >= bindparam(f"low{i}", type_=Timestamp),
                device.bucket_start < bindparam(f"high{i}", type_=Timestamp),
            )
            for i, span in enumerate(spans)
        ]
    ).subquery()
    columns = (pieces.c.browser, pieces.c.os, pieces.c.device_type)
    return select(*columns, func.sum(pieces.c.attempts)).group_by(*columns)


def user_agents(scope: Scope, window: Window) -> dict:
    """Attempts by browser, by OS and by device type, most frequent first."""
    start, end = window.utc_bounds()
    pieces = tracking.device_pieces(start, end)
    params = {"keys": scope.rollup_keys()}
    for i, (_span, low, high) in enumerate(pieces):
        params[f"low{i}"], params[f"high{i}"] = low, high
    statement = _devices_statement(tuple(span for span, _low, _high in pieces))
    rows = db.session.execute(statement, params).all()
    groups = {
        "browsers": defaultdict(int),
        "os": defaultdict(int),
        "device_types": defaultdict(int),
        "browser_os": defaultdict(int),
    }
    for browser, os_name, kind, n in rows:
        groups["browsers"][browser] += int(n)
        groups["os"][os_name] += int(n)
        groups["device_types"][kind] += int(n)
        groups["browser_os"][f"{browser} on {os_name}"] += int(n)
    return {
        name: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        for name, counts in groups.items()
    }
