"""Everything one dashboard page shows, assembled from analytics and charts."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from webapp.services import analytics, charts
from webapp.services.analytics import ActivityFilters, Scope, Window


def presets(tz: ZoneInfo, today: date | None = None) -> list[dict]:
    """The range shortcuts: last 7, 30 and 90 days, and this month."""
    today = today or analytics.today_in(tz)
    shortcuts = [(f"{n} days", today - timedelta(days=n - 1), today) for n in (7, 30, 90)] + [
        ("This month", today.replace(day=1), today)
    ]
    return [
        {"label": label, "start_date": start.isoformat(), "end_date": end.isoformat()}
        for label, start, end in shortcuts
    ]


def personal_dashboard(user_id: int, window: Window, filters: ActivityFilters, page: int) -> dict:
    """Stat cards, figures and one activity page for one user."""
    scope = Scope.of(user_id)
    stats = analytics.stats(scope, window)
    trends = analytics.trends(scope, window)
    comparison = analytics.comparison(scope, window)
    distribution = analytics.distribution(scope, window)
    return {
        "stats": stats,
        "comparison": comparison,
        "figures": charts.dashboard_figures(trends, comparison, distribution),
        "activity": analytics.activity(scope, window, filters, page=page, size=25),
        "presets": presets(window.tz),
    }
