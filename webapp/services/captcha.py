"""The optional sign-up CAPTCHA: ALTCHA (self-hosted proof of work) or Google reCAPTCHA.

Off unless keys are configured: ALTCHA_HMAC_KEY turns ALTCHA on; otherwise both
RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY turn reCAPTCHA on (Flask-WTF's field and
validator). Failed answers become `captcha_failed` security events, so bot waves show.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

import altcha
from flask import current_app
from flask_wtf.recaptcha.validators import Recaptcha
from wtforms import ValidationError

from webapp.extensions import db, limiter
from webapp.models import SecurityEvent

ALTCHA, RECAPTCHA = "altcha", "recaptcha"
ALTCHA_ALGORITHM = "PBKDF2/SHA-256"
FAILED = "captcha_failed"
MESSAGE = "Please complete the CAPTCHA."
ANSWER_MAX = 8192
log = logging.getLogger(__name__)


def provider() -> str | None:
    """'altcha', 'recaptcha' or None (no CAPTCHA), from the configured keys."""
    cfg = current_app.config
    if cfg.get("ALTCHA_HMAC_KEY"):
        return ALTCHA
    if cfg.get("RECAPTCHA_PUBLIC_KEY") and cfg.get("RECAPTCHA_PRIVATE_KEY"):
        return RECAPTCHA
    return None


def new_challenge() -> dict:
    """A signed ALTCHA challenge for the widget (expires after ALTCHA_EXPIRE_MINUTES)."""
    cfg = current_app.config
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
        minutes=cfg["ALTCHA_EXPIRE_MINUTES"]
    )
    challenge = altcha.create_challenge(
        ALTCHA_ALGORITHM, cfg["ALTCHA_COST"], expires_at=expires, hmac_secret=_altcha_key()
    )
    return challenge.to_dict()


def verify(answer: object, ip: str) -> bool:
    """Whether an answer (ALTCHA payload or reCAPTCHA token) passes; True when it is off.

    reCAPTCHA follows Flask-WTF: under TESTING (or RECAPTCHA_ENABLED=false) a present
    answer is not sent to Google.
    """
    kind = provider()
    if kind is None:
        return True
    if not isinstance(answer, str) or not answer or len(answer) > ANSWER_MAX:
        return False
    if kind == ALTCHA:
        return _altcha_ok(answer)
    cfg = current_app.config
    if current_app.testing or not cfg.get("RECAPTCHA_ENABLED", True):
        return True
    try:
        return bool(Recaptcha()._validate_recaptcha(answer, ip))
    except (OSError, ValueError, ValidationError):  # Google unreachable or a bad answer
        log.warning("reCAPTCHA verification failed", exc_info=True)
        return False


def record_failure(ip: str, email: str, where: str) -> None:
    """Count a failed answer as a security event (the request commits)."""
    db.session.add(
        SecurityEvent(kind=FAILED, ip=ip or "", email=(email or "")[:254], details=where[:200])
    )


def _altcha_key() -> str:
    return current_app.config["ALTCHA_HMAC_KEY"]


def _altcha_ok(answer: str) -> bool:
    try:
        result = altcha.verify_solution(answer, _altcha_key())
    except (ValueError, TypeError, KeyError):
        return False
    if not result.verified:
        return False
    return _first_use(altcha.Payload.from_base64(answer).challenge.signature)


def _first_use(signature: str) -> bool:
    """A solved challenge is good once: its signature is remembered until it expires anyway."""
    minutes = current_app.config["ALTCHA_EXPIRE_MINUTES"]
    key = "altcha-used/" + hashlib.sha256(signature.encode()).hexdigest()
    try:
        return limiter.storage.incr(key, minutes * 60 + 60) == 1
    except Exception:  # the store is down: accept rather than lock everyone out
        log.warning("could not record a used ALTCHA answer", exc_info=True)
        return True
