"""Login analytics: the one place that computes what pages, the API and reports show.

Counts come from the 15-minute rollups, so their cost grows with the days shown, not with
the attempts stored. Every time-zone offset in use is a multiple of 15 minutes, so each
UTC bucket falls in exactly one local hour and day: the database turns each bucket into
wall-clock minutes since the window's first local midnight (one fixed offset per stretch
between DST changes) and groups by local day or hour of the week, so Python only ever sees
one row per day or per hour cell. Day and hour boundaries are exact in the viewer's zone
(+05:30, +05:45 and across DST changes too).
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import (
    Integer,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from webapp.extensions import db
from webapp.models import LoginAttempt, LoginDeviceStat, LoginStat, User, utcnow
from webapp.models.base import Timestamp
from webapp.models.login_attempt import EVERYONE_KEY
from webapp.services import geo, tracking

DATE_FORMAT_ERROR = "Invalid date format. Use YYYY-MM-DD format."
REVERSED_ERROR = "start_date must not be after end_date."
MAX_DAYS = 3660
# Years a window may name: a +14:00 viewer's first midnight, a window's next day and the
# previous window all stay inside what datetime and the databases can hold.
FIRST_YEAR, LAST_YEAR = 1970, 9998
DEFAULT_DAYS = 30
WEEK_MINUTES = 7 * 1440
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
OUTCOMES = ("success", "failure")


class AnalyticsError(ValueError):
    """A request the analytics cannot answer (bad dates, bad filters): a 400, never a 500."""


# ---------------------------------------------------------------- windows and scopes


def resolve_timezone(name: str | None) -> ZoneInfo:
    """The viewer's zone, or the application default when unset or unknown."""
    for candidate in (name, current_app.config.get("APP_TIMEZONE"), "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def viewer_timezone(user: User | None) -> ZoneInfo:
    """The zone a user's dashboards use."""
    return resolve_timezone(user.timezone if user is not None else None)


@dataclass(frozen=True)
class Window:
    """Calendar days start..end (inclusive) in the viewer's zone."""

    start: date
    end: date
    tz: ZoneInfo
    explicit: bool = True  # False when no date was given (the default window)
    all_time: bool = False  # no date given where that means everything recorded

    @property
    def days(self) -> int:
        """Number of calendar days in the window."""
        return (self.end - self.start).days + 1

    def day_list(self) -> list[date]:
        """Every day of the window, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The window as a half-open naive-UTC interval."""
        return local_midnight_utc(self.start, self.tz), local_midnight_utc(
            self.end + timedelta(days=1), self.tz
        )

    def shifted(self, days: int) -> Window:
        """The same-length window moved by a number of days."""
        delta = timedelta(days=days)
        return Window(self.start + delta, self.end + delta, self.tz, self.explicit, self.all_time)


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant (naive) at which a local calendar day starts."""
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    return local.astimezone(UTC).replace(tzinfo=None)


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date in a zone (now is naive UTC)."""
    return (now or utcnow()).replace(tzinfo=UTC).astimezone(tz).date()


def parse_day(raw: str | None) -> date | None:
    """Parse YYYY-MM-DD in the years 1970 to 9998; None for empty; AnalyticsError otherwise."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) != 10:
        raise AnalyticsError(DATE_FORMAT_ERROR)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise AnalyticsError(DATE_FORMAT_ERROR) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise AnalyticsError(DATE_FORMAT_ERROR)
    return day


def parse_window(
    start_raw: str | None,
    end_raw: str | None,
    tz: ZoneInfo,
    *,
    default_days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> Window:
    """Build a window from optional YYYY-MM-DD strings (either may be given alone)."""
    start, end = parse_day(start_raw), parse_day(end_raw)
    today = today_in(tz, now)
    if start is None and end is None:
        return Window(today - timedelta(days=default_days - 1), today, tz, explicit=False)
    if start is None:
        start = end - timedelta(days=default_days - 1)
    if end is None:
        end = max(today, start)
    if start > end:
        raise AnalyticsError(REVERSED_ERROR)
    if (end - start).days + 1 > MAX_DAYS:
        raise AnalyticsError(f"The date range can cover at most {MAX_DAYS} days.")
    return Window(start, end, tz)


def all_time_window(tz: ZoneInfo, *, accounts: bool = False, now: datetime | None = None) -> Window:
    """Every day with a recorded attempt (and, with accounts, a created account) up to today.

    Read from the everyone rollup row's first and last buckets (two primary-key lookups), so
    it costs the same however many attempts exist; purged attempts keep their rollups.
    """
    first, last = db.session.execute(
        select(func.min(LoginStat.bucket_start), func.max(LoginStat.bucket_start)).where(
            LoginStat.user_key == EVERYONE_KEY
        )
    ).one()
    if accounts:
        oldest = db.session.scalar(select(func.min(User.created_at)))
        first = min(d for d in (first, oldest) if d) if first or oldest else None
    today = today_in(tz, now)
    start = min(today, today_in(tz, first)) if first else today
    end = max(today, today_in(tz, last)) if last else today
    return Window(start, end, tz, explicit=False, all_time=True)


def trend_windows(tz: ZoneInfo, *, now: datetime | None = None) -> tuple[Window, Window]:
    """The 30 days before the last 30, and the last 30 (today included): the trend's halves
    when no date is given."""
    today = today_in(tz, now)
    last = Window(today - timedelta(days=DEFAULT_DAYS - 1), today, tz, explicit=False)
    return last.shifted(-DEFAULT_DAYS), last


@dataclass(frozen=True)
class Scope:
    """Whose attempts: some users, or everyone (user_ids None)."""

    user_ids: tuple[int, ...] | None = None

    @classmethod
    def of(cls, *user_ids: int) -> Scope:
        """The scope of the given users."""
        return cls(tuple(sorted(set(user_ids))))

    @property
    def everyone(self) -> bool:
        """True for the system-wide scope."""
        return self.user_ids is None

    def rollup_keys(self) -> list[int]:
        """Rollup keys to read: the users' own, or the everyone row."""
        return [EVERYONE_KEY] if self.user_ids is None else list(self.user_ids)

    def attempt_filter(self):
        """SQL condition on LoginAttempt for this scope (None for everyone)."""
        return None if self.user_ids is None else LoginAttempt.user_id.in_(self.user_ids)


EVERYONE = Scope()


# ---------------------------------------------------------------- reading the rollups


class minutes_since(FunctionElement):
    """Whole minutes from a naive-UTC origin to a timestamp column, computed in SQL.

    Clauses: the column, the origin as a timestamp, and the origin as Unix seconds
    (SQLite reads its text timestamps as Unix seconds; MariaDB counts minutes natively).
    """

    type = Integer()
    inherit_cache = True
    name = "minutes_since"


# unixepoch() (SQLite 3.38+) reads a timestamp twice as fast as strftime('%s').
_SQLITE_EPOCH = (
    "unixepoch({})"
    if sqlite3.sqlite_version_info >= (3, 38)
    else ("CAST(strftime('%s', {}) AS INTEGER)")
)


@compiles(minutes_since)
def _minutes_since_sqlite(element, compiler, **kw):
    column, _origin, origin_seconds = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({_SQLITE_EPOCH.format(column)} - {origin_seconds}) / 60)"


@compiles(minutes_since, "mysql")
@compiles(minutes_since, "mariadb")
def _minutes_since_mysql(element, compiler, **kw):
    column, origin, _origin_seconds = (compiler.process(c, **kw) for c in element.clauses)
    return f"TIMESTAMPDIFF(MINUTE, {origin}, {column})"


def _utc_offset(tz: ZoneInfo, moment: datetime) -> timedelta:
    return moment.replace(tzinfo=UTC).astimezone(tz).utcoffset()


@lru_cache(maxsize=512)
def offset_changes(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[tuple[datetime, int]]:
    """Where the zone's UTC offset changes between two naive-UTC instants.

    Each change is (instant, wall-clock shift in minutes relative to the offset at start).
    One zone lookup per day, and a bisection over quarter hours on the days that change.
    """
    base = current = _utc_offset(tz, start)
    changes = []
    low = start
    while low < end:
        high = min(low + timedelta(days=1), end)
        while _utc_offset(tz, high) != current:
            first, last = 1, math.ceil((high - low) / tracking.BUCKET)  # quarters after low
            while first < last:
                middle = (first + last) // 2
                if _utc_offset(tz, low + middle * tracking.BUCKET) != current:
                    last = middle
                else:
                    first = middle + 1
            low = min(low + first * tracking.BUCKET, high)
            current = _utc_offset(tz, low)
            changes.append((low, int((current - base).total_seconds() // 60)))
        low = high
    return tuple(changes)


# The rollup reads are built once, with bound parameters: building SQLAlchemy statements
# cost more than running them for one user's window.
_KEYS = bindparam("keys", expanding=True, literal_execute=True)  # any length, no param limit
_START = bindparam("start", type_=Timestamp)
_END = bindparam("end", type_=Timestamp)
_IN_WINDOW = (
    LoginStat.user_key.in_(_KEYS),
    LoginStat.bucket_start >= _START,
    LoginStat.bucket_start < _END,
)


def _window_params(keys, window: Window) -> dict:
    start, end = window.utc_bounds()
    seconds = int((start - datetime(1970, 1, 1)).total_seconds())
    return {"keys": list(keys), "start": start, "end": end, "start_seconds": seconds}


def _wall_minutes(changes: int):
    """SQL: wall-clock minutes from the window's local midnight to each bucket, plus a week,
    given the number of offset changes inside the window (parameters at<i>, shift<i>).

    Every offset is a multiple of 15 minutes, so a bucket lies in one local hour and day;
    the week added keeps the value positive when a DST change moves the clock back, and
    leaves weekdays unchanged.
    """
    minutes = minutes_since(
        LoginStat.bucket_start, _START, bindparam("start_seconds", type_=Integer)
    )
    if changes:
        minutes = minutes + case(
            *[
                (
                    LoginStat.bucket_start >= bindparam(f"at{i}", type_=Timestamp),
                    bindparam(f"shift{i}", type_=Integer),
                )
                for i in reversed(range(changes))
            ],
            else_=0,
        )
    return minutes + WEEK_MINUTES


# How _grouped groups wall-clock minutes: by local day (counted from a week before the
# window), or by hour of the week (counted from the window's first day).
GROUPS = {"day": lambda m: m // 1440, "hour_of_week": lambda m: m // 60 % 168}


@lru_cache(maxsize=64)
def _grouped_statement(group: str, changes: int, per_key: bool):
    inner = (
        select(
            LoginStat.user_key.label("k"),
            _wall_minutes(changes).label("m"),
            LoginStat.successes.label("s"),
            LoginStat.failures.label("f"),
        )
        .where(*_IN_WINDOW)
        .subquery()
    )
    cell = GROUPS[group](inner.c.m).label("g")
    columns = [inner.c.k, cell] if per_key else [cell]
    return select(*columns, func.sum(inner.c.s), func.sum(inner.c.f)).group_by(*columns)


def _grouped(keys: list[int], window: Window, group: str, *, per_key: bool = False) -> list:
    """Rollup sums inside the window, grouped in SQL by local day or hour of the week.

    Rows are (group value, successes, failures), with the user key first when per_key.
    The database returns one row per day or per hour cell, never one per bucket.
    """
    params = _window_params(keys, window)
    changes = offset_changes(window.tz, params["start"], params["end"])
    for i, (at, shift) in enumerate(changes):
        params[f"at{i}"], params[f"shift{i}"] = at, shift
    statement = _grouped_statement(group, len(changes), per_key)
    return db.session.execute(statement, params).all()


def _key_in(keys: list[int], chunk: int = 900):
    """SQL: user_key IN keys, for the many users of a batch. Long lists are written out as
    literals and, on MariaDB, in chunks: it turns an IN list of 1,000 or more values into
    a join that reads every rollup row of each user instead of one range over the window."""
    if len(keys) < 1000:
        return LoginStat.user_key.in_(keys)
    size = len(keys) if db.session.get_bind().dialect.name == "sqlite" else chunk
    return or_(
        *[
            LoginStat.user_key.in_(bindparam(None, keys[i : i + size], literal_execute=True))
            for i in range(0, len(keys), size)
        ]
    )


def _day_index(window: Window, raw) -> int:
    """The window's day index of a "day" group value; a clock set back across the first
    midnight (zones that change at 00:00) counts on the first day, as the instant does."""
    return min(max(int(raw) - 7, 0), window.days - 1)


def day_counts(scope: Scope, window: Window) -> list[tuple[int, int]]:
    """(successes, failures) for each local calendar day of the window, in order."""
    days = [(0, 0)] * window.days
    for raw, s, f in _grouped(scope.rollup_keys(), window, "day"):
        i = _day_index(window, raw)
        days[i] = (days[i][0] + int(s), days[i][1] + int(f))
    return days


def totals(scope: Scope, window: Window) -> tuple[int, int]:
    """(successes, failures) inside the window."""
    s, f = db.session.execute(_TOTALS, _window_params(scope.rollup_keys(), window)).one()
    return int(s or 0), int(f or 0)


_TOTALS = select(func.sum(LoginStat.successes), func.sum(LoginStat.failures)).where(*_IN_WINDOW)
_NEWEST = select(func.max(LoginStat.last_success_at)).where(*_IN_WINDOW)


def trend_percent(first: int, second: int) -> int:
    """Integer % change from first to second, truncated toward zero (first 0: 100 or 0)."""
    if first == 0:
        return 100 if second > 0 else 0
    return math.trunc((second - first) * 100 / first)


def iso_week(day: date) -> str:
    """ISO week label YYYY-Www."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# ---------------------------------------------------------------- the quantities


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


# ---------------------------------------------------------------- the activity list


@dataclass
class ActivityFilters:
    """Optional filters of the activity list."""

    outcome: str | None = None
    reason: str | None = None
    method: str | None = None

    def validate(self) -> ActivityFilters:
        """Refuse unknown values with a clear error."""
        if self.outcome and self.outcome not in OUTCOMES:
            raise AnalyticsError("outcome must be 'success' or 'failure'.")
        for name in ("reason", "method"):
            value = getattr(self, name)
            if value and (len(value) > 32 or not value.replace("_", "").isalnum()):
                raise AnalyticsError(f"Invalid {name}.")
        return self


# The activity list counts its rows up to this many (config ACTIVITY_COUNT_CAP overrides it):
# past it the list says "more than 1,000" and its pages stop there, so neither the count nor the
# OFFSET grows with the attempts. Each counted row is a row lookup (the reason filter): 1,000
# stay a few ms when the table outgrows the database's cache, 10,000 took 0.6 s at 1M attempts
# on MariaDB. Exports are not capped: they stream every row.
ACTIVITY_COUNT_CAP = 1_000


@dataclass
class ActivityPage:
    """One page of attempts, newest first; count stops at the cap (capped says it did)."""

    items: list[dict]
    count: int
    page: int
    size: int
    capped: bool = False
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.count / self.size))


def _activity_query(scope: Scope, window: Window, filters: ActivityFilters):
    query = select(LoginAttempt)
    if not window.all_time:
        start, end = window.utc_bounds()
        query = query.where(LoginAttempt.created_at >= start, LoginAttempt.created_at < end)
    condition = scope.attempt_filter()
    if condition is not None:
        query = query.where(condition)
    if filters.outcome:
        query = query.where(LoginAttempt.success.is_(filters.outcome == "success"))
    if filters.reason:
        query = query.where(LoginAttempt.reason == filters.reason)
    else:
        # A password step that led to a second one is listed when asked for by its reason;
        # the unfiltered list is what the rollups count.
        query = query.where(LoginAttempt.reason.not_in(tracking.NOT_COUNTED))
    if filters.method:
        query = query.where(LoginAttempt.method == filters.method)
    return query


def activity(
    scope: Scope,
    window: Window,
    filters: ActivityFilters | None = None,
    *,
    page: int = 1,
    size: int = 25,
) -> ActivityPage:
    """A page of attempts (page past the end gives the last page; size capped at 100)."""
    filters = (filters or ActivityFilters()).validate()
    size = max(1, min(int(size), 100))
    query = _activity_query(scope, window, filters)
    # Counted from the rows themselves (an index range over the same filter): the rollups
    # keep counting attempts that purge removed or an import has not rolled up yet. One row
    # past the cap is enough to know the list goes on, so the count stays bounded.
    cap = int(current_app.config.get("ACTIVITY_COUNT_CAP", ACTIVITY_COUNT_CAP))
    head = query.with_only_columns(literal_column("1").label("one")).limit(cap + 1).subquery()
    found = db.session.scalar(select(func.count()).select_from(head)) or 0
    count = min(found, cap)
    pages = max(1, math.ceil(count / size))
    page = min(max(1, int(page)), pages)
    offset = (page - 1) * size
    rows = db.session.execute(
        query.order_by(LoginAttempt.created_at.desc(), LoginAttempt.id.desc())
        .limit(min(size, count - offset) if found > cap else size)  # no row past the cap
        .offset(offset)
    ).scalars()
    items = [attempt_dict(a, window.tz) for a in rows]
    return ActivityPage(items, count, page, size, capped=found > cap)


def newest_attempts(scope: Scope, window: Window, limit: int = 10) -> list[dict]:
    """The newest attempts of a scope in a window, without counting them all."""
    query = _activity_query(scope, window, ActivityFilters())
    rows = db.session.execute(
        query.order_by(LoginAttempt.created_at.desc(), LoginAttempt.id.desc()).limit(limit)
    ).scalars()
    return [attempt_dict(a, window.tz) for a in rows]


def activity_rows(
    scope: Scope, window: Window, filters: ActivityFilters | None = None
) -> Iterator[dict]:
    """Every matching attempt, newest first, streamed (for exports)."""
    filters = (filters or ActivityFilters()).validate()
    query = _activity_query(scope, window, filters).order_by(
        LoginAttempt.created_at.desc(), LoginAttempt.id.desc()
    )
    for attempt in db.session.execute(query.execution_options(yield_per=1000)).scalars():
        yield attempt_dict(attempt, window.tz)


def attempt_dict(attempt: LoginAttempt, tz: ZoneInfo) -> dict:
    """An attempt as shown to a viewer in a zone."""
    return {
        "id": attempt.id,
        "user_id": attempt.user_id,
        "email": attempt.email_tried,
        "timestamp": attempt.created_at.replace(tzinfo=UTC).astimezone(tz),
        "success": attempt.success,
        "reason": attempt.reason,
        "method": attempt.method,
        "ip": attempt.ip,
        "device": attempt.device,
        "user_agent": attempt.user_agent or "",
        "country": attempt.country,
        "country_name": geo.country_name(attempt.country),
    }


def countries(scope: Scope, window: Window) -> list[dict]:
    """Attempts per country in a window, from the daily country rollup, most first."""
    start, end = window.utc_bounds()
    return geo.countries(scope.rollup_keys(), start, end)


# ---------------------------------------------------------------- system-wide (admin) views


def user_growth(window: Window, users_query=None, *, period: str = "month") -> dict[str, int]:
    """New accounts per month (or day, or week by its Monday) in the viewer's zone over the
    window, zero-filled.

    users_query narrows it to a selection of users (default: everyone).
    """
    months, edges = _spans(window, _PERIOD_LABELS[period])
    span = _span_of(User.created_at, edges)
    query = (
        select(span, func.count())
        .where(User.created_at >= edges[0], User.created_at < edges[-1])
        .group_by(span)
    )
    if users_query is not None:
        query = query.where(User.id.in_(select(users_query.subquery().c.id)))
    counts = dict(db.session.execute(query).all())
    return {month: int(counts.get(i, 0)) for i, month in enumerate(months)}


_PERIOD_LABELS = {
    "day": date.isoformat,
    "week": lambda d: (d - timedelta(days=d.weekday())).isoformat(),
    "month": _month,
}


def recent_lockouts(window: Window, limit: int = 10) -> tuple[int, list]:
    """How many lockouts the window saw, and the newest ones."""
    from webapp.models import SecurityEvent

    start, end = window.utc_bounds()
    condition = (
        SecurityEvent.kind == "lockout",
        SecurityEvent.created_at >= start,
        SecurityEvent.created_at < end,
    )
    count = db.session.scalar(select(func.count(SecurityEvent.id)).where(*condition)) or 0
    rows = db.session.execute(
        select(SecurityEvent)
        .where(*condition)
        .order_by(SecurityEvent.created_at.desc())
        .limit(limit)
    ).scalars()
    return count, list(rows)


def online_now(minutes: int = 5) -> list[User]:
    """Users with a live session seen in the last few minutes."""
    from webapp.models import UserSession

    since = utcnow() - timedelta(minutes=minutes)
    return list(
        db.session.execute(
            select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(
                UserSession.last_seen_at >= since,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > utcnow(),
            )
            .distinct()
            .order_by(User.username)
        ).scalars()
    )


def batch_stats(users_query, window: Window) -> dict[int, dict]:
    """Stats per user for every user the query selects, in two queries whatever their number.

    users_query is a select of User rows (chosen ids, or all active/inactive users).
    """
    users = _batch_users(users_query)
    sums = _per_key(
        [u.id for u in users],
        [
            func.sum(LoginStat.successes),
            func.sum(LoginStat.failures),
            func.max(LoginStat.last_success_at),
        ],
        *window.utc_bounds(),
    )
    return {u.id: _batch_row(u, *sums.get(u.id, (0, 0, None)), window) for u in users}


def _batch_row(user, successes, failures, last: datetime | None, window: Window) -> dict:
    s, f = int(successes or 0), int(failures or 0)
    return {
        "user": user,
        "total": s + f,
        "successful": s,
        "failed": f,
        "success_rate": round(s * 100 / (s + f), 1) if s + f else 0.0,
        "last_login": _local(last, window),
    }


def _batch_users(users_query) -> list:
    chosen = users_query.subquery()
    # Plain rows, not ORM objects: building 1,000 entities cost more than the queries.
    return db.session.execute(
        select(chosen.c.id, chosen.c.username, chosen.c.email, chosen.c.is_active).order_by(
            chosen.c.id
        )
    ).all()


def _per_key(user_ids: list[int], columns, low: datetime, high: datetime) -> dict[int, list]:
    """SQL sums per rollup key over one range of buckets (an index range per key)."""
    statement = select(LoginStat.user_key, *columns).where(
        _key_in(user_ids), LoginStat.bucket_start >= low, LoginStat.bucket_start < high
    )
    return {
        key: values for key, *values in db.session.execute(statement.group_by(LoginStat.user_key))
    }


def trends_by_user(user_ids: list[int], window: Window) -> dict[int, dict]:
    """Daily successes and failures per user, zero-filled, grouped by user and day in SQL."""
    days = window.day_list()
    series = {uid: ([0] * len(days), [0] * len(days)) for uid in user_ids}
    for key, raw, s, f in _grouped(user_ids, window, "day", per_key=True):
        index = _day_index(window, raw)
        successes, failures = series[key]
        successes[index] += int(s)
        failures[index] += int(f)
    labels = [d.isoformat() for d in days]
    return {
        uid: {"labels": labels, "successes": s, "failures": f} for uid, (s, f) in series.items()
    }


ROLE_ERROR = 'Invalid role. Must be "admin" or "regular".'
IDS_FORMAT_ERROR = "Invalid user_ids format. Must be integers."
IDS_MISSING_ERROR = "One or more user IDs not found."


def parse_user_ids(raw: list[str]) -> list[int]:
    """Integers from repeated user_ids[] values; AnalyticsError when malformed or unknown."""
    ids: list[int] = []
    for value in raw:
        text = (value or "").strip()
        if not text.isdigit() or len(text) > 12:
            raise AnalyticsError(IDS_FORMAT_ERROR)
        ids.append(int(text))
    ids = sorted(set(ids))
    if ids:
        found = db.session.scalar(select(func.count(User.id)).where(User.id.in_(ids)))
        if found != len(ids):
            raise AnalyticsError(IDS_MISSING_ERROR)
    return ids


def user_selection(
    *,
    me_id: int | None = None,
    user_ids: list[int] | None = None,
    role: str | None = None,
    active: bool | None = None,
    search: str | None = None,
):
    """A select of users: me, then user_ids, then role (admin = staff or admin); active
    narrows user_ids and role alike."""
    query = select(User).order_by(User.id)
    if me_id is not None:
        return query.where(User.id == me_id)
    if user_ids:
        query = query.where(User.id.in_(user_ids))
        return query if active is None else query.where(User.is_active.is_(active))
    if role:
        if role not in ("admin", "regular"):
            raise AnalyticsError(ROLE_ERROR)
        staff = User.role.in_(("staff", "admin"))
        query = query.where(staff if role == "admin" else ~staff)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if search:
        pattern = f"%{search.strip().lower()[:100]}%"
        query = query.where(
            func.lower(User.email).like(pattern) | func.lower(User.username).like(pattern)
        )
    return query


def count_users(users_query) -> int:
    """How many users a selection holds."""
    return db.session.scalar(select(func.count()).select_from(users_query.subquery())) or 0


def _span_of(column, edges: list[datetime]):
    """SQL: the index i of the span edges[i] <= column < edges[i+1] (inside edges[0]..[-1]).

    Edges are UTC instants of local midnights, so the spans are exact local weeks, months
    or halves, and the grouping happens in SQL.
    """
    inner = edges[1:-1] or edges[-1:]  # CASE needs at least one WHEN
    return case(*[(column < edge, i) for i, edge in enumerate(inner)], else_=len(edges) - 2).label(
        "span"
    )


def _spans(window: Window, label) -> tuple[list[str], list[datetime]]:
    """Consecutive labels over the window's days and the UTC edges between them."""
    labels: list[str] = []
    edges: list[datetime] = []
    for day in window.day_list():
        name = label(day)
        if not labels or labels[-1] != name:
            labels.append(name)
            edges.append(local_midnight_utc(day, window.tz))
    edges.append(window.utc_bounds()[1])
    return labels, edges


def batch_full_stats(users_query, window: Window) -> dict[int, dict]:
    """stats() for many users at once: the same numbers, in one read of the window's rollup
    rows (and one plain sum per trend half outside it).

    The window is cut where a week, a month or an explicit window's half begins, and each
    user's piece between two cuts is one correlated sum over an index range: every rollup row
    is read once and summed once, with no sort. (A CASE per week and month evaluated on every
    row made 90 days of busy accounts cost four times 30; grouping rows by local day made
    SQLite sort them all.)
    """
    users = _batch_users(users_query)
    ids = [u.id for u in users]
    if window.all_time:
        halves = [
            _per_key(ids, [func.sum(LoginStat.successes)], *w.utc_bounds())
            for w in trend_windows(window.tz)
        ]
    elif not window.explicit:
        previous = window.shifted(-window.days).utc_bounds()
        halves = [_per_key(ids, [func.sum(LoginStat.successes)], *previous)]
    pieces, edges = _pieces(window)
    params = {"ids": ids, **{f"edge{i}": edge for i, edge in enumerate(edges)}}
    # Core rows: the ORM's row handling cost more than the sums for 1,000 users.
    rows = {
        key: packed
        for key, *packed in db.session.connection()
        .execute(_pieces_statement(len(pieces)), params)
        .all()
    }
    newest = _newest_successes(ids, window)
    weeks = list(dict.fromkeys(week for week, _month, _first in pieces))
    months = list(dict.fromkeys(month for _week, month, _first in pieces))
    result = {}
    for user in users:
        weekly = dict.fromkeys(weeks, 0)
        monthly = dict.fromkeys(months, 0)
        successes = failures = first = 0
        for (week, month, in_first), packed in zip(pieces, rows.get(user.id, ()), strict=True):
            if packed is None:
                continue
            s, f = divmod(int(packed), _PACK)
            weekly[week] += s
            monthly[month] += s
            successes += s
            failures += f
            first += s if in_first else 0
        if window.all_time:
            first, second = (int(half.get(user.id, [0])[0] or 0) for half in halves)
        elif window.explicit:
            second = successes - first
        else:
            first, second = int(halves[0].get(user.id, [0])[0] or 0), successes
        result[user.id] = {
            **_batch_row(user, successes, failures, newest.get(user.id), window),
            "weekly": weekly,
            "monthly": monthly,
            "trend": trend_percent(first, second),
        }
    return result


# ---------------------------------------------------------------- second factors

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


# Successes and failures of a piece packed in one sum (counts stay far below 2**31).
_PACK = 2**32


def _pieces(window: Window) -> tuple[list[tuple[str, str, bool]], list[datetime]]:
    """The window cut into runs of days that share an ISO week, a month and a half (the
    first half: the days before the middle one), and the UTC edges between them."""
    pieces: list[tuple[str, str, bool]] = []
    edges: list[datetime] = []
    middle = window.days // 2
    for i, day in enumerate(window.day_list()):
        piece = (iso_week(day), _month(day), i < middle)
        if not pieces or pieces[-1] != piece:
            pieces.append(piece)
            edges.append(local_midnight_utc(day, window.tz))
    edges.append(window.utc_bounds()[1])
    return pieces, edges


# The selected users, one row each, for the correlated sums below (statements built once).
_USERS = select(User.id).where(User.id.in_(bindparam("ids", expanding=True, literal_execute=True)))


@lru_cache(maxsize=128)
def _pieces_statement(pieces: int):
    """Per user, one packed sum per piece of the window (parameters ids, edge<i>)."""
    chosen = _USERS.subquery()
    sums = [
        select(func.sum(LoginStat.successes * _PACK + LoginStat.failures))
        .where(
            LoginStat.user_key == chosen.c.id,
            LoginStat.bucket_start >= bindparam(f"edge{i}", type_=Timestamp),
            LoginStat.bucket_start < bindparam(f"edge{i + 1}", type_=Timestamp),
        )
        .scalar_subquery()
        for i in range(pieces)
    ]
    return select(chosen.c.id, *sums)


def _newest_successes(ids: list[int], window: Window) -> dict[int, datetime]:
    """Each user's newest success in the window: the newest bucket that has one holds it
    (buckets are disjoint), found by one index step back from the window's end."""
    start, end = window.utc_bounds()
    rows = db.session.execute(_NEWEST_PER_USER, {"ids": ids, "start": start, "end": end})
    return {key: last for key, last in rows if last}


def _newest_per_user():
    chosen = _USERS.subquery()
    newest = (
        select(LoginStat.last_success_at)
        .where(
            LoginStat.user_key == chosen.c.id,
            LoginStat.bucket_start >= _START,
            LoginStat.bucket_start < _END,
            LoginStat.last_success_at.is_not(None),
        )
        .order_by(LoginStat.bucket_start.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(chosen.c.id, newest)


_NEWEST_PER_USER = _newest_per_user()
