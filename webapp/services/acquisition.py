"""Acquisition: sign-ups per registration source over a window, and how many stayed.

For the sign-ups of a window (read through ix_users_created) this counts, per source, how
many verified their email and how many signed in within 7 days of signing up. The sign-ins
come from the per-user rollup (login_stats, one row per user and quarter hour with a
success), never from the raw attempts: the cost grows with the sign-ups of the window and
the days they cover, not with how many attempts those accounts drew.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import RegistrationSource, User
from webapp.models.login_attempt import LoginStat
from webapp.services.analytics import Window, local_midnight_utc
from webapp.services.charts import _layout

RETURN_DAYS = 7
CHART_SOURCES = 8  # the busiest sources get a line each; the rest share "Other sources"
CHUNK = 500
SORT_KEYS = ("name", "category", "signups", "verified_share", "returned_share")
UNKNOWN = "Unknown source"
SHARES = (
    ("Verified email (%)", "verified_share"),
    ("Signed in within 7 days (%)", "returned_share"),
)
OTHER = "Other sources"
# One colour per charted source, then grey for the rest (a shared palette may replace it).
PALETTE = (
    "#0d6efd",
    "#198754",
    "#fd7e14",
    "#6f42c1",
    "#d63384",
    "#20c997",
    "#ffc107",
    "#0dcaf0",
    "#6c757d",
)


@dataclass
class SourceRow:
    """One source's sign-ups in the window."""

    id: int | None
    name: str
    category: str
    signups: int = 0
    verified: int = 0
    returned: int = 0

    @property
    def verified_share(self) -> float:
        """Percent of sign-ups that verified their email."""
        return _share(self.verified, self.signups)

    @property
    def returned_share(self) -> float:
        """Percent of sign-ups that signed in within 7 days."""
        return _share(self.returned, self.signups)


def acquisition(window: Window, sort: str = "-signups") -> dict:
    """Rows per source (sorted), the sign-ups per source per day or month, and totals."""
    start, end = window.utc_bounds()
    signups = db.session.execute(
        select(User.id, User.created_at, User.source_id, User.email_verified_at.is_not(None))
        .where(User.created_at >= start, User.created_at < end)
        .order_by(User.created_at)
    ).all()
    first_sign_in = _first_sign_ins([s.id for s in signups], start, end)
    names = _sources({s.source_id for s in signups if s.source_id is not None})
    rows: dict[int | None, SourceRow] = {}
    per_bucket: Counter[tuple[int | None, str]] = Counter()
    labels, edges = _buckets(window)
    for user_id, created_at, source_id, verified in signups:
        name, category = names.get(source_id, (UNKNOWN, ""))
        row = rows.setdefault(source_id, SourceRow(source_id, name, category))
        row.signups += 1
        row.verified += bool(verified)
        signed_in = first_sign_in.get(user_id)
        row.returned += signed_in is not None and signed_in < created_at + timedelta(
            days=RETURN_DAYS
        )
        per_bucket[(source_id, labels[bisect_right(edges, created_at) - 1])] += 1
    ordered = sort_rows(list(rows.values()), sort)
    return {
        "rows": ordered,
        "labels": labels,
        "series": _series(rows, per_bucket, labels),
        "total": sum(r.signups for r in rows.values()),
        "verified": sum(r.verified for r in rows.values()),
        "returned": sum(r.returned for r in rows.values()),
    }


def sort_rows(rows: list[SourceRow], sort: str) -> list[SourceRow]:
    """Rows by one of SORT_KEYS ('-' first: descending); unknown keys sort by sign-ups."""
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, sort = "signups", "-signups"

    def value(row: SourceRow):
        return row.name.lower() if key == "name" else getattr(row, key)

    by_name = sorted(rows, key=lambda r: r.name.lower())
    return sorted(by_name, key=value, reverse=sort.startswith("-"))


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _first_sign_ins(user_ids: list[int], start: datetime, end: datetime) -> dict[int, datetime]:
    """The quarter hour of each user's first sign-in from the window's start to 7 days
    after its end (rollup rows, read by their primary key)."""
    until = end + timedelta(days=RETURN_DAYS)
    first: dict[int, datetime] = {}
    for i in range(0, len(user_ids), CHUNK):
        chunk = user_ids[i : i + CHUNK]
        first.update(
            db.session.execute(
                select(LoginStat.user_key, func.min(LoginStat.bucket_start))
                .where(
                    LoginStat.user_key.in_(chunk),
                    LoginStat.bucket_start >= start - timedelta(minutes=15),
                    LoginStat.bucket_start < until,
                    LoginStat.successes > 0,
                )
                .group_by(LoginStat.user_key)
            ).all()
        )
    return first


def _sources(ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    found = db.session.execute(
        select(RegistrationSource.id, RegistrationSource.name, RegistrationSource.category).where(
            RegistrationSource.id.in_(ids)
        )
    ).all()
    return {i: (name, category) for i, name, category in found}


def _buckets(window: Window) -> tuple[list[str], list[datetime]]:
    """Labels (days, or months past 92 days) and the UTC instant each one starts."""
    days = window.day_list()
    if window.days > 92:
        days = [d for d in days if d.day == 1 or d == window.start]
        labels = [d.strftime("%Y-%m") for d in days]
    else:
        labels = [d.isoformat() for d in days]
    return labels, [local_midnight_utc(d, window.tz) for d in days]


def _series(rows, per_bucket, labels) -> list[tuple[str, list[int]]]:
    """(name, counts per label) for the busiest sources, then the rest as one series."""
    busiest = sorted(rows.values(), key=lambda r: (-r.signups, r.name.lower()))
    shown, rest = busiest[:CHART_SOURCES], busiest[CHART_SOURCES:]
    series = [(r.name, [per_bucket[(r.id, label)] for label in labels]) for r in shown]
    if rest:
        ids = [r.id for r in rest]
        series.append((OTHER, [sum(per_bucket[(i, label)] for i in ids) for label in labels]))
    return series


# ---------------------------------------------------------------- figures and chart data


def colour(i: int) -> str:
    """The i-th series colour (the last one repeats)."""
    return PALETTE[min(i, len(PALETTE) - 1)]


def chart_data(data: dict) -> dict:
    """The API's {"sources", "verified_ratio"} ChartData (with colours per dataset)."""
    sources = {
        "labels": data["labels"],
        "datasets": [
            {"label": name, "data": counts, "backgroundColor": colour(i), "borderColor": colour(i)}
            for i, (name, counts) in enumerate(data["series"])
        ],
    }
    rows = data["rows"]
    ratio = {
        "labels": [r.name for r in rows],
        "datasets": [
            {
                "label": label,
                "data": [getattr(r, key) for r in rows],
                "backgroundColor": colour(i),
                "borderColor": colour(i),
            }
            for i, (label, key) in enumerate(SHARES)
        ],
    }
    return {"sources": sources, "verified_ratio": ratio}


def figures(data: dict) -> dict[str, dict]:
    """Plotly figures for the acquisition page: sign-ups per source, and the two shares."""
    by_month = bool(data["labels"]) and len(data["labels"][0]) == 7
    # The JSON API keeps the English names; the page's charts speak the page's language.
    shown = {OTHER: _("Other sources"), UNKNOWN: _("Unknown source")}
    share_names = {
        "verified_share": _("Verified email (%)"),
        "returned_share": _("Signed in within 7 days (%)"),
    }
    signups = {
        "data": [
            {
                "type": "bar",
                "name": shown.get(name, name),
                "x": data["labels"],
                "y": counts,
                "marker": {"color": colour(i)},
            }
            for i, (name, counts) in enumerate(data["series"])
        ],
        "layout": _layout(
            _("Sign-ups per source"),
            barmode="stack",
            xaxis={"type": "category" if by_month else "date"},
            yaxis={"rangemode": "tozero"},
        ),
    }
    rows = data["rows"][:20]
    shares = {
        "data": [
            {
                "type": "bar",
                "name": share_names[key],
                "x": [r.name for r in rows],
                "y": [getattr(r, key) for r in rows],
                "marker": {"color": colour(i)},
            }
            for i, (_label, key) in enumerate(SHARES)
        ],
        "layout": _layout(
            _("Share of sign-ups (%)"),
            barmode="group",
            xaxis={"type": "category"},
            yaxis={"range": [0, 100]},
        ),
    }
    return {"chart-acquisition": signups, "chart-acquisition-shares": shares}
