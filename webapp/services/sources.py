"""Registration sources: read UTM keys and the referrer, categorise them, find or make the row.

How a sign-up is categorised, first rule that matches:

| Rule | Category | Example name |
| --- | --- | --- |
| `utm_campaign` given | campaign | Facebook – Spring campaign |
| `utm_medium` is a paid or mail medium (`PAID_MEDIUMS`) | campaign | Google – cpc |
| the platform is a search engine (`KNOWN_HOSTS`) | search | Google |
| the platform is a social network (`KNOWN_HOSTS`) | social | LinkedIn |
| any other `utm_source` or referring host | referral | example.org |
| nothing | direct | Website registration |

The platform is `utm_source` if given, else the referrer's host; both are matched against
`KNOWN_HOSTS` by any label of the host (`l.facebook.com`, `google.co.uk`) or an alias
(`fb`, `t.co`). Sign-ups that share category, platform, medium and campaign share one row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import RegistrationSource, User

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")
FIELD_MAX = 100
HOST_MAX = 253
# Letters of any script, digits, spaces and the punctuation campaign tools put in names.
VALUE_RE = re.compile(r"^[\w .,:;/+\-()&'!@#%|~=]+$")
HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*$")

SEARCH, SOCIAL = "search", "social"
# Platform name -> (label, category); hosts match on any label, aliases on the whole value.
KNOWN_HOSTS: dict[str, tuple[str, str]] = {
    "google": ("Google", SEARCH),
    "bing": ("Bing", SEARCH),
    "duckduckgo": ("DuckDuckGo", SEARCH),
    "yahoo": ("Yahoo", SEARCH),
    "ecosia": ("Ecosia", SEARCH),
    "baidu": ("Baidu", SEARCH),
    "yandex": ("Yandex", SEARCH),
    "qwant": ("Qwant", SEARCH),
    "startpage": ("Startpage", SEARCH),
    "facebook": ("Facebook", SOCIAL),
    "twitter": ("X (Twitter)", SOCIAL),
    "x": ("X (Twitter)", SOCIAL),
    "linkedin": ("LinkedIn", SOCIAL),
    "instagram": ("Instagram", SOCIAL),
    "reddit": ("Reddit", SOCIAL),
    "youtube": ("YouTube", SOCIAL),
    "tiktok": ("TikTok", SOCIAL),
    "mastodon": ("Mastodon", SOCIAL),
}
ALIASES = {
    "fb": "facebook",
    "ig": "instagram",
    "t.co": "twitter",
    "x.com": "twitter",
    "lnkd.in": "linkedin",
    "youtu.be": "youtube",
}
PAID_MEDIUMS = {"cpc", "ppc", "paid", "paidsearch", "display", "email", "newsletter", "affiliate"}
# Who made the account when nobody referred it: the row of a direct sign-up per channel.
DIRECT_NAMES = {
    "web": "Website registration",
    "api": "API registration",
    "admin": "Created by an admin",
    "demo": "Demo data",
    "cli": "Created on the command line",
}


class SourceError(ValueError):
    """A submitted source key is not acceptable: {key: message}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Landing:
    """What a visitor arrived with: UTM keys and the referring host (all optional)."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    referrer_host: str = ""

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, str]:
        """The non-empty keys (what a session cookie or hidden fields carry)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def clean_value(raw: object) -> str:
    """A UTM value trimmed and bounded; SourceError-free: '' when unusable (web use)."""
    try:
        return check_value("value", raw)
    except SourceError:
        return ""


def check_value(key: str, raw: object) -> str:
    """A UTM value trimmed, with whitespace collapsed; SourceError when too long or odd."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise SourceError({key: "Must be a string."})
    value = " ".join(raw.split())
    if len(value) > FIELD_MAX:
        raise SourceError({key: f"Ensure this field has no more than {FIELD_MAX} characters."})
    if value and not VALUE_RE.match(value):
        raise SourceError({key: "Use letters, digits, spaces and simple punctuation only."})
    return value


def referrer_host(raw: object) -> str:
    """The lower-case host of a referrer URL or bare host name; '' when there is none."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 2048:
        return ""
    text = raw.strip()
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("", "http", "https"):
        return ""
    host = host.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ""
    if host.startswith("www."):
        host = host[4:]
    return host if HOST_RE.match(host) else ""


def landing_from(values, referrer: object, own_host: str = "") -> Landing:
    """A Landing from a mapping of UTM keys (query string, form) and a referrer (web use:
    bad values are dropped, a referrer from this site is no referrer)."""
    host = referrer_host(referrer)
    if host and host == referrer_host(own_host):
        host = ""
    return Landing(*(clean_value(values.get(k)) for k in UTM_KEYS), referrer_host=host)


def landing_from_body(data: dict) -> Landing:
    """A Landing from an API body's utm_* keys and `referrer` (URL or host); SourceError."""
    errors: dict[str, str] = {}
    values = {}
    for key in UTM_KEYS:
        try:
            values[key] = check_value(key, data.get(key))
        except SourceError as exc:
            errors.update(exc.errors)
    raw = data.get("referrer")
    host = referrer_host(raw)
    if raw not in (None, "") and not host:
        errors["referrer"] = "Give a URL or host name."
    if errors:
        raise SourceError(errors)
    return Landing(**values, referrer_host=host)


@dataclass(frozen=True)
class Category:
    """The outcome of the rules: category, platform key, readable name and unique key."""

    category: str
    platform: str
    name: str
    key: str


def categorise(landing: Landing, channel: str = "web") -> Category:
    """Apply the rules table (module docstring) to a landing."""
    platform, label, known = _platform(landing)
    medium = landing.utm_medium.lower()
    campaign = landing.utm_campaign
    if campaign:
        category, name = "campaign", f"{label} – {campaign}" if label else campaign
    elif medium in PAID_MEDIUMS:
        category, name = "campaign", f"{label} – {medium}" if label else medium
    elif known:
        category, name = known, label
    elif platform:
        category, name = "referral", label
    else:
        category = "direct"
        name = DIRECT_NAMES.get(channel, DIRECT_NAMES["web"])
        platform = channel if channel in DIRECT_NAMES else "web"
    parts = (category, platform, medium, campaign.lower())
    return Category(category, platform, name[:120], "|".join(parts)[:191])


def _platform(landing: Landing) -> tuple[str, str, str]:
    """(platform key, label, known category or '') from utm_source, else the referrer."""
    raw = landing.utm_source.lower() or landing.referrer_host
    if not raw:
        return "", "", ""
    name = ALIASES.get(raw) or ALIASES.get(raw.removeprefix("www."))
    if name is None:
        labels = raw.split(".")
        candidates = labels[:-1] if len(labels) > 1 else labels
        name = next((lab for lab in candidates if lab in KNOWN_HOSTS), None)
    if name is None:
        return raw, landing.utm_source or landing.referrer_host, ""
    label, category = KNOWN_HOSTS[name]
    return name, label, category


def source_for(landing: Landing, channel: str = "web") -> RegistrationSource:
    """The source row of a landing, created on first use (the caller commits)."""
    found = categorise(landing, channel)
    query = select(RegistrationSource).where(RegistrationSource.key == found.key)
    source = db.session.execute(query).scalar_one_or_none()
    if source is not None:
        return source
    source = RegistrationSource(
        key=found.key,
        name=found.name,
        category=found.category,
        **{k: getattr(landing, k) for k in (*UTM_KEYS, "referrer_host")},
    )
    try:
        with db.session.begin_nested():  # a parallel sign-up may insert the same key
            db.session.add(source)
    except IntegrityError:
        return db.session.execute(query).scalar_one()
    return source


def merge(target: RegistrationSource, others: list[RegistrationSource]) -> int:
    """Move the users of `others` to `target` and delete `others`; returns users moved."""
    ids = [s.id for s in others if s.id != target.id]
    if not ids:
        return 0
    moved = db.session.execute(
        update(User).where(User.source_id.in_(ids)).values(source_id=target.id)
    ).rowcount
    for source in others:
        if source.id != target.id:
            db.session.delete(source)
    return moved
