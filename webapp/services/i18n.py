"""The language and time zone each request is shown in (Flask-Babel selectors)."""

from __future__ import annotations

from copy import copy

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str:
    """The user's chosen language, else the browser's best match, else the default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return languages[0]
    chosen = getattr(current_user, "language", None) if current_user else None
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone() -> str:
    """The user's zone if set and known, else the deployment's."""
    from webapp.services.analytics import resolve_timezone

    zone = getattr(current_user, "timezone", None) if has_request_context() else None
    return resolve_timezone(zone).key


def percent(value: float, digits: int = 1) -> str:
    """A percentage given as 0–100, in the page language's way: "91.5%", "91,5 %"."""
    locale = get_locale() or Locale.parse("en")
    # The language's own pattern (sign, spacing, separators) with a fixed number of decimals.
    pattern = copy(locale.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value / 100, locale)
