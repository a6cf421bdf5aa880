"""Reading the 15-minute rollups: wall-clock minutes per local day or hour of the week, in SQL."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from webapp.extensions import db
from webapp.models import LoginStat
from webapp.models.base import Timestamp
from webapp.services import tracking
from webapp.services.analytics.windows import Scope, Window

WEEK_MINUTES = 7 * 1440


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
