"""The activity list: filtered, capped and paged attempts, and their rows for exports."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    func,
    literal_column,
    select,
)

from webapp.extensions import db
from webapp.models import LoginAttempt
from webapp.services import geo, tracking
from webapp.services.analytics.windows import AnalyticsError, Scope, Window

OUTCOMES = ("success", "failure")


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
