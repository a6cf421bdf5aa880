"""Where sign-ins come from: countries from IP addresses (offline), networks, country rollups."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from datetime import datetime, timedelta
from functools import lru_cache

import iptocc
import pycountry
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import LoginCountryStat

DAY = timedelta(days=1)


def country_of(ip: str) -> str:
    """The ISO 3166 alpha-2 code of an address, or "" for private, reserved and unknown ones."""
    if not ip:
        return ""
    try:
        return iptocc.country_code(ip) or ""
    except (ValueError, TypeError):
        return ""


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The English short name of a country code ("" for none; the code when unknown)."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def country_label(code: str) -> str:
    """'Germany (DE)', or 'Unknown' for no country."""
    return f"{country_name(code)} ({code})" if code else "Unknown"


def network_of(ip: str) -> str:
    """The network an address belongs to for "new network" alerts: its /24 (IPv4) or /48
    (IPv6); anything unparsable stands for itself."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:45]
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def day_of(moment: datetime) -> datetime:
    """The UTC midnight starting a moment's day (the country rollup's bucket)."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def new_cells() -> dict:
    """Empty country-rollup cells {(key, day, country, shard): [successes, failures]}."""
    return defaultdict(lambda: [0, 0])


def rows_of(cells: dict) -> list[dict]:
    """Country-rollup cells as upsert rows."""
    return [
        {"user_key": k, "day": d, "country": c, "shard": n, "successes": v[0], "failures": v[1]}
        for (k, d, c, n), v in cells.items()
    ]


def countries(keys: list[int], start: datetime, end: datetime) -> list[dict]:
    """Attempts per country for rollup keys over the UTC days that touch [start, end), most
    first: {"code", "name", "successes", "failures", "total"}. Whole UTC days: a window in
    another zone counts up to a day more at its edges. The sums add everyone's shards up."""
    stat = LoginCountryStat
    rows = db.session.execute(
        select(stat.country, func.sum(stat.successes), func.sum(stat.failures))
        .where(stat.user_key.in_(keys), stat.day >= day_of(start), stat.day < end)
        .group_by(stat.country)
    ).all()
    result = [
        {
            "code": code,
            "name": country_name(code) or "Unknown",
            "successes": int(ok or 0),
            "failures": int(bad or 0),
            "total": int(ok or 0) + int(bad or 0),
        }
        for code, ok, bad in rows
    ]
    return sorted(result, key=lambda r: (-r["total"], r["code"] == "", r["code"]))
