"""Figures built from the analytics output (no queries here): Plotly figures for our pages,
Chart.js ChartData for the API, in one palette.

Figures are plain Plotly JSON specs (data + layout): cheap to build on every request,
and checked against Plotly's schema in the tests.
"""

from __future__ import annotations

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# The palette of every chart, ours and the API's: successful green, failed red, counts blue.
SUCCESS = "#198754"
FAILURE = "#dc3545"
NEUTRAL = "#0d6efd"
HOURS = [f"{h:02d}:00" for h in range(24)]
# Every third hour labelled, level: 24 labels would be turned on their side and clipped.
HOUR_AXIS = {"type": "category", "tickangle": 0, "dtick": 3}
CONFIG = {"displaylogo": False, "responsive": True}


def _layout(title: str, **extra) -> dict:
    # The legend sits below the plot, in one line from the left edge, so it never squeezes
    # the title; automargin keeps every tick label inside the figure at any width.
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        "margin": {"l": 48, "r": 16, "t": 48, "b": 40},
        "height": 320,
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 0,
            "yref": "container",
            "yanchor": "bottom",
            "traceorder": "normal",  # stacked bars would list Failed first
        },
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        if axis in layout or axis in ("xaxis", "yaxis"):
            layout[axis] = {"automargin": True, **layout.get(axis, {})}
    return layout


def _pair(x, successes, failures, kind: str = "bar", **extra) -> list[dict]:
    """A successes trace and a failures trace over the same x."""
    common = {"type": kind, "x": x, **extra}
    if kind == "scatter":
        common["mode"] = "lines+markers"
    return [
        {**common, "name": _("Successful"), "y": successes, "marker": {"color": SUCCESS}},
        {**common, "name": _("Failed"), "y": failures, "marker": {"color": FAILURE}},
    ]


def trend_figure(trends: dict) -> dict:
    """Daily successes and failures as lines."""
    return {
        "data": _pair(trends["labels"], trends["successes"], trends["failures"], "scatter"),
        "layout": _layout(
            _("Sign-ins per day"), xaxis={"type": "date"}, yaxis={"rangemode": "tozero"}
        ),
    }


def comparison_figure(comparison: dict) -> dict:
    """Weekly or monthly bars, stacked by outcome."""
    unit = _("Week starting") if comparison["granularity"] == "week" else _("Month")
    return {
        "data": _pair(comparison["labels"], comparison["successes"], comparison["failures"]),
        "layout": _layout(
            _("Sign-ins per week")
            if comparison["granularity"] == "week"
            else _("Sign-ins per month"),
            barmode="stack",
            xaxis={"type": "category", "title": {"text": unit}},
        ),
    }


def period_figure(comparison: dict) -> dict:
    """This period next to the previous one of equal length."""
    labels = [_("Previous period"), _("This period")]
    prev, cur = comparison["previous"], comparison["current"]
    return {
        "data": _pair(
            labels,
            [prev["successes"], cur["successes"]],
            [prev["failures"], cur["failures"]],
        ),
        "layout": _layout(_("This period vs the previous one"), barmode="group"),
    }


def hour_figure(distribution: dict) -> dict:
    """Attempts by hour of day in the viewer's zone."""
    hours = distribution["hour_of_day"]
    return {
        "data": _pair(HOURS, hours["successes"], hours["failures"]),
        "layout": _layout(_("By hour of day"), barmode="stack", xaxis=HOUR_AXIS),
    }


def _weekdays() -> list[str]:
    """Monday to Sunday, abbreviated in the page's language (the API keeps "Mon"…"Sun")."""
    names = get_day_names("abbreviated", locale=get_locale() or "en")
    return [names[day] for day in range(7)]


def weekday_figure(distribution: dict) -> dict:
    """Attempts by weekday in the viewer's zone."""
    days = distribution["day_of_week"]
    return {
        "data": _pair(_weekdays(), days["successes"], days["failures"]),
        "layout": _layout(_("By weekday"), barmode="stack", xaxis={"type": "category"}),
    }


def heatmap_figure(distribution: dict) -> dict:
    """Hour x weekday heatmap of all attempts."""
    return {
        "data": [
            {
                "type": "heatmap",
                "z": distribution["heatmap"],
                "x": HOURS,
                "y": _weekdays(),
                "colorscale": [[0, "#f1f5fb"], [1, "#0d47a1"]],
                "hovertemplate": "%{y} %{x}: %{z} attempts<extra></extra>",
            }
        ],
        "layout": _layout(
            _("When sign-in attempts happen"), xaxis=HOUR_AXIS, yaxis={"autorange": "reversed"}
        ),
    }


def ratio_figure(distribution: dict) -> dict:
    """Success/failure donut."""
    ratio = distribution["success_ratio"]
    return {
        "data": [
            {
                "type": "pie",
                "hole": 0.55,
                "labels": [_("Successful"), _("Failed")],
                "values": [ratio["successful"], ratio["failed"]],
                "marker": {"colors": [SUCCESS, FAILURE]},
                "sort": False,
            }
        ],
        "layout": _layout(_("Success ratio")),
    }


def devices_figure(distribution: dict) -> dict:
    """Attempts by browser and by operating system, side by side."""
    browsers = distribution["browsers"][:8]
    systems = distribution["os"][:8]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Browser"),
                "y": [name for name, _ in browsers][::-1],
                "x": [n for _, n in browsers][::-1],
                "marker": {"color": NEUTRAL},
                "xaxis": "x",
                "yaxis": "y",
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Operating system"),
                "y": [name for name, _ in systems][::-1],
                "x": [n for _, n in systems][::-1],
                "marker": {"color": "#6f42c1"},
                "xaxis": "x2",
                "yaxis": "y2",
            },
        ],
        "layout": _layout(
            _("Browsers and operating systems"),
            grid={"rows": 1, "columns": 2, "pattern": "independent"},
            xaxis2={"automargin": True},
            yaxis2={"automargin": True},
        ),
    }


def dashboard_figures(trends: dict, comparison: dict, distribution: dict) -> dict[str, dict]:
    """Every figure of the personal dashboard, by element id."""
    return {
        "chart-trend": trend_figure(trends),
        "chart-comparison": comparison_figure(comparison),
        "chart-period": period_figure(comparison),
        "chart-hours": hour_figure(distribution),
        "chart-weekdays": weekday_figure(distribution),
        "chart-heatmap": heatmap_figure(distribution),
        "chart-ratio": ratio_figure(distribution),
        "chart-devices": devices_figure(distribution),
    }


GROWTH_TITLES = {
    "day": _l("New accounts per day"),
    "week": _l("New accounts per week (weeks from Monday)"),
    "month": _l("New accounts per month"),
}


def growth_figure(growth: dict[str, int], period: str = "month") -> dict:
    """New accounts per day, week (labelled by its Monday) or month."""
    return {
        "data": [
            {
                "type": "bar",
                "name": _("New accounts"),
                "x": list(growth),
                "y": list(growth.values()),
                "marker": {"color": NEUTRAL},
            }
        ],
        "layout": _layout(str(GROWTH_TITLES[period]), xaxis={"type": "category"}),
    }


def users_trend_figure(series: dict[int, dict], names: dict[int, str]) -> dict:
    """One line of successful sign-ins per user, on the same axes."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": names.get(uid, str(uid)),
                "x": s["labels"],
                "y": s["successes"],
            }
            for uid, s in series.items()
        ],
        "layout": _layout(_("Successful sign-ins per day, by user"), xaxis={"type": "date"}),
    }


def users_bars_figure(stats: dict[int, dict]) -> dict:
    """Grouped bars: successes and failures per chosen user."""
    names = [row["user"].username for row in stats.values()]
    return {
        "data": _pair(
            names,
            [row["successful"] for row in stats.values()],
            [row["failed"] for row in stats.values()],
        ),
        "layout": _layout(_("Sign-ins by user"), barmode="group", xaxis={"type": "category"}),
    }


# ---------------------------------------------------------------- Chart.js ChartData (API)


def chart_data(labels: list, *datasets: tuple[str, list, str]) -> dict:
    """Chart.js ChartData from (label, data, colour) datasets; clients draw it unchanged."""
    return {
        "labels": labels,
        "datasets": [
            {"label": name, "data": data, "backgroundColor": colour, "borderColor": colour}
            for name, data, colour in datasets
        ],
    }


def pie_data(labels: list, name: str, data: list, colours: list[str]) -> dict:
    """ChartData of a pie: one colour per label."""
    return {
        "labels": labels,
        "datasets": [
            {"label": name, "data": data, "backgroundColor": colours, "borderColor": colours}
        ],
    }


def ratio_data(successful: int, failed: int) -> dict:
    """The success-ratio pie: exactly ["Successful", "Failed"], green and red."""
    return pie_data(["Successful", "Failed"], "Logins", [successful, failed], [SUCCESS, FAILURE])
