"""Analytics windows and scopes: the viewer's zone, the days asked for, whose attempts count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import (
    func,
    select,
)

from webapp.extensions import db
from webapp.models import LoginAttempt, LoginStat, User, utcnow
from webapp.models.login_attempt import EVERYONE_KEY

DATE_FORMAT_ERROR = "Invalid date format. Use YYYY-MM-DD format."
REVERSED_ERROR = "start_date must not be after end_date."
MAX_DAYS = 3660
# Years a window may name: a +14:00 viewer's first midnight, a window's next day and the
# previous window all stay inside what datetime and the databases can hold.
FIRST_YEAR, LAST_YEAR = 1970, 9998
DEFAULT_DAYS = 30


class AnalyticsError(ValueError):
    """A request the analytics cannot answer (bad dates, bad filters): a 400, never a 500."""


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
