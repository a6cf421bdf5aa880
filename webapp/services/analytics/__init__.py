"""Login analytics: the one place that computes what pages, the API and reports show.

Counts come from the 15-minute rollups, so their cost grows with the days shown, not with
the attempts stored. Every time-zone offset in use is a multiple of 15 minutes, so each
UTC bucket falls in exactly one local hour and day: the database turns each bucket into
wall-clock minutes since the window's first local midnight (one fixed offset per stretch
between DST changes) and groups by local day or hour of the week, so Python only ever sees
one row per day or per hour cell. Day and hour boundaries are exact in the viewer's zone
(+05:30, +05:45 and across DST changes too).

The package reads top to bottom, each part using only those before it: windows (zones,
windows, scopes), rollups (the grouped rollup SQL), figures (one scope's quantities),
activity (the activity list), system (system-wide and batch figures), factors (second
factors).
"""

from webapp.services.analytics.activity import (
    ACTIVITY_COUNT_CAP,
    OUTCOMES,
    ActivityFilters,
    ActivityPage,
    activity,
    activity_rows,
    attempt_dict,
    countries,
    newest_attempts,
)
from webapp.services.analytics.factors import (
    METHOD_ORDER,
    factor_coverage,
    factor_coverage_trend,
    methods,
)
from webapp.services.analytics.figures import (
    WEEKDAYS,
    comparison,
    distribution,
    last_login,
    stats,
    trends,
    user_agents,
)
from webapp.services.analytics.rollups import (
    GROUPS,
    WEEK_MINUTES,
    day_counts,
    iso_week,
    minutes_since,
    offset_changes,
    totals,
    trend_percent,
)
from webapp.services.analytics.system import (
    IDS_FORMAT_ERROR,
    IDS_MISSING_ERROR,
    ROLE_ERROR,
    batch_full_stats,
    batch_stats,
    count_users,
    online_now,
    parse_user_ids,
    recent_lockouts,
    trends_by_user,
    user_growth,
    user_selection,
)
from webapp.services.analytics.windows import (
    DATE_FORMAT_ERROR,
    DEFAULT_DAYS,
    EVERYONE,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_DAYS,
    REVERSED_ERROR,
    AnalyticsError,
    Scope,
    Window,
    all_time_window,
    local_midnight_utc,
    parse_day,
    parse_window,
    resolve_timezone,
    today_in,
    trend_windows,
    viewer_timezone,
)

__all__ = [
    "DATE_FORMAT_ERROR",
    "REVERSED_ERROR",
    "MAX_DAYS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "DEFAULT_DAYS",
    "AnalyticsError",
    "resolve_timezone",
    "viewer_timezone",
    "Window",
    "local_midnight_utc",
    "today_in",
    "parse_day",
    "parse_window",
    "all_time_window",
    "trend_windows",
    "Scope",
    "EVERYONE",
    "WEEK_MINUTES",
    "minutes_since",
    "offset_changes",
    "GROUPS",
    "day_counts",
    "totals",
    "trend_percent",
    "iso_week",
    "WEEKDAYS",
    "stats",
    "last_login",
    "trends",
    "comparison",
    "distribution",
    "user_agents",
    "OUTCOMES",
    "ActivityFilters",
    "ACTIVITY_COUNT_CAP",
    "ActivityPage",
    "activity",
    "newest_attempts",
    "activity_rows",
    "attempt_dict",
    "countries",
    "user_growth",
    "recent_lockouts",
    "online_now",
    "batch_stats",
    "trends_by_user",
    "ROLE_ERROR",
    "IDS_FORMAT_ERROR",
    "IDS_MISSING_ERROR",
    "parse_user_ids",
    "user_selection",
    "count_users",
    "batch_full_stats",
    "METHOD_ORDER",
    "methods",
    "factor_coverage",
    "factor_coverage_trend",
]
