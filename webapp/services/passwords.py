"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import statistics
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
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
    return _verify(*_hashing(), password_hash, password)


class Recent:
    """The median of the last few durations of something, in seconds (process-local)."""

    def __init__(self, size: int = 15) -> None:
        self._values: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        """Remember one duration."""
        self._values.append(seconds)

    def median(self) -> float | None:
        """The median, or None before the first one."""
        values = list(self._values)  # a copy taken under the GIL: other threads add
        return statistics.median(values) if values else None


CHECKS = Recent()  # how long argon2 checks take in this process


@dataclass
class PendingCheck:
    """A password check running on a worker thread."""

    future: Future[tuple[bool, bool]]
    started_at: float  # time.perf_counter() as argon2 began

    def result(self) -> tuple[bool, bool]:
        """(ok, needs_rehash), once the check ends."""
        return self.future.result()

    def wait_until_left(self, seconds: float | None) -> None:
        """Block until about `seconds` of the check are left, judged by the recent checks,
        or until it ends; to its end when either duration is not known yet."""
        typical = CHECKS.median()
        if seconds is None or typical is None:
            wait([self.future])
            return
        left = self.started_at + typical - seconds - time.perf_counter()
        if left > 0:
            wait([self.future], timeout=left)


def verify_later(password_hash: str | None, password: str) -> PendingCheck:
    """verify_password on a worker thread. argon2 releases the GIL, so the caller can prepare
    what a right password needs while the hash is checked."""
    ph, dummy = _hashing()
    started = threading.Event()
    future = _pool().submit(_verify, ph, dummy, password_hash, password, started)
    # Hand over the GIL until the worker is inside argon2, or it may not start before the
    # caller blocks: Python would let the caller run on for a whole switch interval.
    started.wait()
    return PendingCheck(future, time.perf_counter())


def _verify(
    ph: PasswordHasher,
    dummy: str,
    password_hash: str | None,
    password: str,
    started: threading.Event | None = None,
) -> tuple[bool, bool]:
    if started is not None:
        started.set()
    begun = time.perf_counter()
    try:
        return _check(ph, dummy, password_hash, password)
    finally:
        CHECKS.add(time.perf_counter() - begun)


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


_POOL: list[ThreadPoolExecutor] = []


def _pool() -> ThreadPoolExecutor:
    """One pool per process, made on first use (after a server forks its workers)."""
    if not _POOL:
        _POOL.append(
            ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="argon2")
        )
    return _POOL[0]


os.register_at_fork(after_in_child=_POOL.clear)


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
