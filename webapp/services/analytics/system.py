"""System-wide (admin) views: account growth, lockouts, who is online, per-user batch figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import (
    bindparam,
    case,
    func,
    select,
)

from webapp.extensions import db
from webapp.models import LoginStat, User, utcnow
from webapp.models.base import Timestamp
from webapp.services.analytics.figures import _local
from webapp.services.analytics.rollups import (
    _END,
    _START,
    _day_index,
    _grouped,
    _key_in,
    _month,
    iso_week,
    trend_percent,
)
from webapp.services.analytics.windows import (
    AnalyticsError,
    Window,
    local_midnight_utc,
    trend_windows,
)


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
