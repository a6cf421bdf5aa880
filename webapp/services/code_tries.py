"""How many tries a mailed code has left, told the same way for every email.

The code rows stay the authority: they lock after CODE_MAX_ATTEMPTS wrong tries. The pages
also count wrong tries per email in the rate-limit storage, for known and unknown addresses
alike, so the countdown they show cannot tell whether an account exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext, ngettext
from limits import RateLimitItemPerMinute

from webapp.extensions import limiter
from webapp.services.clock import in_words

VERIFY = "verify"  # the email verification code (locks for CODE_LOCK_MINUTES)
SIGN_IN = "sign_in"  # the passwordless sign-in code (dead once its tries are used up)


@dataclass(frozen=True)
class Countdown:
    """Tries left after a wrong code, and the seconds until tries come back when none are."""

    tries_left: int
    retry_after: int


def wrong_code(purpose: str, email: str) -> Countdown | None:
    """Count a wrong code for an email; None when the storage cannot say (no countdown shown)."""
    item, keys = _item(purpose), _keys(purpose, email)
    try:
        strategy = limiter.limiter
        strategy.hit(item, *keys)
        reset_at, remaining = strategy.get_window_stats(item, *keys)
    except Exception:  # a countdown is a courtesy: a storage fault must not fail the page
        return None
    return Countdown(remaining, max(1, math.ceil(reset_at - time.time())))


def forget(purpose: str, email: str) -> None:
    """A new code was asked for: its tries start afresh."""
    with contextlib.suppress(Exception):  # as above: the countdown may be off, never the codes
        limiter.limiter.clear(_item(purpose), *_keys(purpose, email))


def wrong_code_message(purpose: str, email: str) -> str:
    """What the page says after a wrong code: the tries left, or the lock."""
    countdown = wrong_code(purpose, email)
    if countdown is None:
        return gettext("That code is not right.")
    if countdown.tries_left <= 0:
        return locked_message(purpose, countdown.retry_after)
    return ngettext(
        "That code is not right. %(num)d try left.",
        "That code is not right. %(num)d tries left.",
        countdown.tries_left,
    )


def locked_message(purpose: str, seconds: int) -> str:
    """What the page says while the code is locked, and what to do instead."""
    if purpose == VERIFY:
        return gettext(
            "Too many wrong codes: the code is locked. Open the link in the email we sent you "
            "instead, or try the code again %(wait)s.",
            wait=in_words(seconds),
        )
    return gettext(
        "Too many wrong codes: this code no longer works. Ask for a new code %(wait)s.",
        wait=in_words(seconds),
    )


def _item(purpose: str) -> RateLimitItemPerMinute:
    cfg = current_app.config
    minutes = cfg["CODE_LOCK_MINUTES"] if purpose == VERIFY else cfg["LOGIN_CODE_MINUTES"]
    return RateLimitItemPerMinute(cfg["CODE_MAX_ATTEMPTS"], minutes)


def _keys(purpose: str, email: str) -> tuple[str, str, str]:
    # Hashed: the storage (Redis) need not hold addresses.
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    return ("code-tries", purpose, digest)
