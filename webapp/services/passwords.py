"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import contextlib
import hashlib
import re
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

_DUMMY_SECRET = "doorman-dummy-password-for-timing"


def hasher() -> PasswordHasher:
    """The app's argon2id hasher, built once per app from its configuration."""
    return _hashing()[0]


def _hashing() -> tuple[PasswordHasher, str]:
    """The hasher and a real hash with the same parameters, verified for unknown emails so
    timing matches. Stored as one value: parallel first requests never see half of it."""
    ext = current_app.extensions
    if "doorman_hashing" not in ext:
        cfg = current_app.config
        ph = PasswordHasher(
            time_cost=cfg["ARGON2_TIME_COST"],
            memory_cost=cfg["ARGON2_MEMORY_COST"],
            parallelism=cfg["ARGON2_PARALLELISM"],
        )
        ext["doorman_hashing"] = (ph, ph.hash(_DUMMY_SECRET))
    return ext["doorman_hashing"]


def hash_password(password: str) -> str:
    """Hash a password with the configured argon2id parameters."""
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> tuple[bool, bool]:
    """Check a password; returns (ok, needs_rehash). A missing hash costs one dummy verify."""
    return _check(*_hashing(), password_hash, password)


def _check(
    ph: PasswordHasher, dummy: str, password_hash: str | None, password: str
) -> tuple[bool, bool]:
    if not password_hash:
        with contextlib.suppress(VerificationError):
            ph.verify(dummy, password)
        return False, False
    try:
        ph.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    return True, ph.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


@lru_cache(maxsize=4)
def _breached_hashes(path: str) -> frozenset[str]:
    lines = Path(path).read_text().split()
    return frozenset(line.split(":")[0].upper() for line in lines if line)


def _too_similar(password: str, attribute: str) -> bool:
    """Django-style similarity: any attribute part close to the password."""
    pw = password.lower()
    for part in {attribute.lower(), *re.split(r"\W+", attribute.lower())}:
        if len(part) < 3:
            continue
        if part in pw or pw in part:
            return True
        matcher = SequenceMatcher(a=pw, b=part)
        if matcher.quick_ratio() >= 0.7 and matcher.ratio() >= 0.7:
            return True
    return False


def password_problems(password: str, email: str = "", username: str = "") -> list[str]:
    """Return the policy messages a password breaks (empty when acceptable)."""
    cfg = current_app.config
    if not password:
        return ["Password cannot be null"]
    if len(password) < cfg["PASSWORD_MIN_LENGTH"]:
        return [f"Password must have at least {cfg['PASSWORD_MIN_LENGTH']} characters"]
    if len(password) > cfg["PASSWORD_MAX_LENGTH"]:
        return [f"Password must have at most {cfg['PASSWORD_MAX_LENGTH']} characters"]
    problems = []
    if password.isdigit():
        problems.append("Password cannot be entirely numeric")
    if password.lower() in _common_passwords():
        problems.append("Password is too common")
    local = email.split("@")[0] if email else ""
    if any(attr and _too_similar(password, attr) for attr in (username, local, email)):
        problems.append("Password is too similar to the username or email")
    min_score = cfg["PASSWORD_ZXCVBN_MIN_SCORE"]
    if min_score and not problems:
        from zxcvbn import zxcvbn

        if zxcvbn(password, user_inputs=[email, username])["score"] < min_score:
            problems.append("Password is too easy to guess")
    breached = cfg.get("BREACHED_PASSWORDS_FILE")
    if breached:
        digest = hashlib.sha1(password.encode()).hexdigest().upper()
        if digest in _breached_hashes(breached):
            problems.append("Password has appeared in a data breach")
    return problems
