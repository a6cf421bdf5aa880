"""The language and time zone each request is shown in (Flask-Babel selectors)."""

from __future__ import annotations

from babel import numbers
from flask import current_app, has_request_context, request
from flask_babel import get_locale
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
    """A percentage (83.333 -> "83.3%", "83,3 %" in German) in the page's locale, rounded to
    at most `digits` decimals."""
    return numbers.format_percent(
        round(value, digits) / 100, locale=get_locale(), decimal_quantization=False
    )


def remember(response, code: str | None):
    """Keep a visitor's choice in the cookie, or forget it (None: follow the browser)."""
    if code:
        response.set_cookie(
            COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure
        )
    else:
        response.delete_cookie(COOKIE)
    return response
