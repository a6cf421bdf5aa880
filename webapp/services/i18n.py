"""The language and time zone each request is shown in (Flask-Babel selectors), and the
locale-aware bits pages ask for: language names, percentages, countries, the security sentence."""

from __future__ import annotations

from copy import copy

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

# A visitor's choice from the language menu (signed-in users keep theirs on the profile).
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language named in itself, so a reader finds theirs whatever the page is in.
NAMES = {"en": "English", "de": "Deutsch", "es": "Español"}


def select_locale() -> str:
    """The user's chosen language, else the visitor's menu choice, else the browser's best
    match, else the default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    chosen = getattr(current_user, "language", None) if current_user else None
    if chosen in languages:
        return chosen
    if request.cookies.get(COOKIE) in languages:
        return request.cookies[COOKIE]
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str:
    """The user's zone if set and known, else the deployment's."""
    from webapp.services.analytics import resolve_timezone

    zone = getattr(current_user, "timezone", None) if has_request_context() else None
    return resolve_timezone(zone).key


def supported(code: str | None) -> bool:
    """Whether code is one of the languages the app ships."""
    return code in current_app.config["LANGUAGES"]


def language_choices() -> list[tuple[str, str]]:
    """(code, name) of each shipped language, in config order."""
    return [(code, NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def percent(value: float, digits: int = 1) -> str:
    """A percentage given as 0-100, in the page language's way: "91.5%", "91,5 %"."""
    locale = get_locale() or Locale.parse("en")
    # The language's own pattern (sign, spacing, separators) with a fixed number of decimals.
    pattern = copy(locale.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value / 100, locale)


def country_label(code: str | None) -> str:
    """A country as pages name it, "Deutschland (DE)" in German; English keeps the app's own
    names ("Germany (DE)")."""
    from webapp.services import geo

    if not code:
        return _("Unknown")
    locale = get_locale()
    if locale is None or locale.language == "en":
        return geo.country_label(code)
    return f"{locale.territories.get(code) or geo.country_name(code)} ({code})"


def sentence(summary: dict) -> str:
    """The security page's summary of the week in the page's language (the API's stays in
    English): "12 failed attempts from 3 countries this week; none succeeded"."""
    failed = summary["failed_attempts_7d"]
    if not failed:
        return _("No failed sign-in attempts against your email this week.")
    attempts = ngettext("%(num)d failed attempt", "%(num)d failed attempts", failed)
    countries = len(summary["countries_7d"])
    if countries:
        attempts = ngettext(
            "%(attempts)s from %(num)d country",
            "%(attempts)s from %(num)d countries",
            countries,
            attempts=attempts,
        )
    succeeded = summary["succeeded_7d"]
    outcome = (
        ngettext(
            "%(num)d sign-in later succeeded from those addresses",
            "%(num)d sign-ins later succeeded from those addresses",
            succeeded,
        )
        if succeeded
        else _("none succeeded")
    )
    return _("%(attempts)s this week; %(outcome)s.", attempts=attempts, outcome=outcome)


def remember(response, code: str | None):
    """Keep a visitor's choice in the cookie, or forget it (None: follow the browser)."""
    if code:
        response.set_cookie(
            COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure
        )
    else:
        response.delete_cookie(COOKIE)
    return response
