"""Everything one dashboard page shows, assembled from analytics and charts."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from webapp.services import acquisition, analytics, charts, failures, security
from webapp.services.analytics import ActivityFilters, Scope, Window


def presets(window: Window, chosen: str | None = None, today: date | None = None) -> list[dict]:
    """The range shortcuts (last 7, 30 and 90 days, this month), the one in effect marked active."""
    today = today or analytics.today_in(window.tz)
    shortcuts = [
        (f"{n}d", ngettext("%(num)d day", "%(num)d days", n), today - timedelta(days=n - 1), today)
        for n in (7, 30, 90)
    ] + [("month", _("This month"), today.replace(day=1), today)]
    items = [
        {"key": key, "label": label, "start_date": start.isoformat(), "end_date": end.isoformat()}
        for key, label, start, end in shortcuts
    ]
    # Two shortcuts cover the same days on the 30th ("30 days", "This month"): the one the
    # person clicked (?preset=) is lit, else the first that matches.
    matching = [
        p["key"]
        for p in items
        if (p["start_date"], p["end_date"]) == (window.start.isoformat(), window.end.isoformat())
    ]
    lit = chosen if chosen in matching else next(iter(matching), None)
    return [{**p, "active": p["key"] == lit} for p in items]


def personal_dashboard(
    user_id: int, window: Window, filters: ActivityFilters, page: int, preset: str | None = None
) -> dict:
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
        "methods": analytics.methods(scope, window),
        "countries": analytics.countries(scope, window),
        "presets": presets(window, preset),
    }


# New accounts are counted per day up to this many days shown, per week beyond.
GROWTH_DAILY_DAYS = 31
SORT_KEYS = ("username", "total", "successful", "failed", "success_rate", "last_login")


def admin_overview(
    window: Window, selection, compare_ids: list[int], sort: str, preset: str | None = None
) -> dict:
    """The admin analytics page: system-wide figures, top offenders, comparison, batch table."""
    totals = analytics.stats(analytics.EVERYONE, window)
    trends = analytics.trends(analytics.EVERYONE, window)
    distribution = analytics.distribution(analytics.EVERYONE, window)
    period = "day" if window.days <= GROWTH_DAILY_DAYS else "week"
    growth = analytics.user_growth(window, period=period)
    lockout_count, lockouts = analytics.recent_lockouts(window)
    figures = {
        "chart-trend": charts.trend_figure(trends),
        "chart-growth": charts.growth_figure(growth, period),
        "chart-ratio": charts.ratio_figure(distribution),
        "chart-hours": charts.hour_figure(distribution),
    }
    batch = analytics.batch_stats(selection, window)
    # The users being compared stay in the table (to be unticked) whatever the search finds.
    if missing := [uid for uid in compare_ids if uid not in batch]:
        batch.update(analytics.batch_stats(analytics.user_selection(user_ids=missing), window))
    if compare_ids:
        names = {uid: batch[uid]["user"].username for uid in compare_ids if uid in batch}
        figures["chart-users-trend"] = charts.users_trend_figure(
            analytics.trends_by_user(compare_ids, window), names
        )
        figures["chart-users-bars"] = charts.users_bars_figure(
            {uid: batch[uid] for uid in compare_ids if uid in batch}
        )
    key = sort.lstrip("-") if sort.lstrip("-") in SORT_KEYS else "username"
    rows = sorted(
        batch.values(),
        key=lambda r: (
            r["user"].username.lower()
            if key == "username"
            else (r[key] is not None, r[key] or 0)
            if key == "last_login"
            else r[key]
        ),
        reverse=sort.startswith("-"),
    )
    return {
        "totals": totals,
        "figures": figures,
        "top_ips": failures.top_failures(window, failures.IP),
        "top_accounts": failures.top_failures(window, failures.EMAIL),
        "lockout_count": lockout_count,
        "lockouts": lockouts,
        "online": analytics.online_now(),
        "methods": analytics.methods(analytics.EVERYONE, window),
        "countries": analytics.countries(analytics.EVERYONE, window),
        "security_events": security.feed(None, "false", 0, 10)[1],
        "coverage": analytics.factor_coverage(),
        "coverage_trend": analytics.factor_coverage_trend(),
        "batch": rows,
        "presets": presets(window, preset),
    }


def acquisition_page(window: Window, sort: str, preset: str | None = None) -> dict:
    """The acquisition page: the sources table (sorted), its figures and the presets."""
    data = acquisition.acquisition(window, sort)
    return {
        **data,
        "figures": acquisition.figures(data),
        "presets": presets(window, preset),
        "sort": sort,
    }
