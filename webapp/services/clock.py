"""One clock: a stored UTC time as a person reads it, in their zone and with the zone named.

Stored datetimes are naive UTC. Everything a person reads goes through when(): the viewer's
zone (Flask-Babel's selector) unless a zone is given, the viewer's language for the month, a
year, 24-hour minutes, never microseconds, and the zone's short name ("30 Nov 2026, 09:14
CET", "… UTC"). The live widget's script builds the same shape in the browser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Flask, has_app_context
from flask_babel import format_timedelta, get_locale, get_timezone
from markupsafe import Markup, escape

PATTERN = "d MMM y, HH:mm"
PATTERN_SECONDS = "d MMM y, HH:mm:ss"


def when(
    moment: datetime | None, zone: tzinfo | str | None = None, *, seconds: bool = False
) -> str:
    """A moment (naive UTC or aware) in a zone (default: the viewer's), with the zone named."""
    if moment is None:
        return ""
    zone = _zone(zone)
    local = aware(moment).astimezone(zone)
    text = format_datetime(
        local, PATTERN_SECONDS if seconds else PATTERN, tzinfo=zone, locale=_locale()
    )
    return f"{text} {zone_label(local)}"


def in_words(seconds: int) -> str:
    """A wait from now, in the viewer's language: 'in 4 minutes'."""
    wait = timedelta(seconds=max(1, seconds))
    return format_timedelta(wait, granularity="second", add_direction=True)


def zone_label(local: datetime) -> str:
    """The short name of an aware moment's zone ('CET', 'UTC'); an offset when it has none."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def zone_name(zone: tzinfo | str | None = None) -> str:
    """The IANA name of a zone (default: the viewer's), for headers and tooltips."""
    zone = _zone(zone)
    return getattr(zone, "key", None) or getattr(zone, "zone", None) or str(zone)


def zone_labels(zone: tzinfo | str | None = None) -> dict[int, str]:
    """The zone's short names by UTC offset in minutes (winter and summer), for the scripts
    that format times in the browser: they name the zone as the server does."""
    zone = _zone(zone)
    year = datetime.now(UTC).year
    labels = {}
    for month in (1, 7):
        local = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(zone)
        labels[int(local.utcoffset().total_seconds() // 60)] = zone_label(local)
    return labels


def aware(moment: datetime) -> datetime:
    """A stored naive-UTC moment made aware (aware moments pass unchanged)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_naive(moment: datetime | None, zone: tzinfo | str | None = None) -> datetime | None:
    """The wall-clock time in a zone without tzinfo (what a spreadsheet cell can hold)."""
    if moment is None:
        return None
    return aware(moment).astimezone(_zone(zone)).replace(tzinfo=None, microsecond=0)


def admin_datetime_formatter(view, value, *args) -> Markup:
    """Flask-Admin type formatter: datetimes in the viewer's zone, the UTC value as a tooltip."""
    utc = aware(value).astimezone(UTC)
    return Markup('<span title="{}">{}</span>').format(
        f"{utc:%Y-%m-%d %H:%M:%S} UTC", escape(when(value))
    )


def init_clock(app: Flask) -> None:
    """The |when filter, and the viewer's zone name and labels, for every template."""
    app.add_template_filter(when, "when")
    app.add_template_global(zone_name, "zone_name")
    app.add_template_global(zone_labels, "zone_labels")


def _zone(zone: tzinfo | str | None) -> tzinfo:
    if isinstance(zone, str):
        return ZoneInfo(zone)
    if zone is not None:
        return zone
    # Flask-Babel's zone is a pytz one; zoneinfo names the same zone.
    return ZoneInfo(str(get_timezone())) if has_app_context() else UTC


def _locale():
    return (get_locale() if has_app_context() else None) or "en"
