"""Progressive lockout keyed by the normalised email, serialised per email with a row lock."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import String, bindparam, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webapp.extensions import db
from webapp.models import LoginLockout, TrustedDevice, User

# A lock more than this long ago no longer escalates the next one.
ESCALATION_MEMORY = timedelta(hours=24)


def _wait(locked_until: datetime | None, now: datetime) -> int:
    """Seconds until a lock ends, or 0 when not locked."""
    if locked_until is None or locked_until <= now:
        return 0
    return max(1, math.ceil((locked_until - now).total_seconds()))


@dataclass
class LockState:
    """The lockout record that judges an attempt: the email's (row-locked for the attempt), or
    a trusted device's own. Both rows carry the same failure and lock columns."""

    row: LoginLockout | TrustedDevice | None
    threshold_setting: str = "LOCKOUT_THRESHOLD"

    def retry_after(self, now: datetime) -> int:
        """Seconds until the lock ends, or 0 when not locked."""
        return _wait(self.row.locked_until if self.row is not None else None, now)


@dataclass
class Peek:
    """What a first, unlocked look finds for an email: enough to refuse a locked email at
    once, or to start checking the password."""

    user_id: int | None
    password_hash: str | None
    locked_until: datetime | None

    def retry_after(self, now: datetime) -> int:
        """Seconds until the lock ends, or 0 when not locked."""
        return _wait(self.locked_until, now)


def _enabled() -> bool:
    return bool(current_app.config["LOCKOUT_ENABLED"])


def peek(email: str) -> Peek:
    """The account's id and hash and the email's lock, in one plain read of three columns:
    it runs before argon2 can start, so it builds no ORM objects."""
    connection = db.session.connection()  # Core on the session's connection: no ORM layer
    user_id, password_hash, locked_until = connection.execute(
        _peek_statement(), {"email": email}
    ).one()
    return Peek(user_id, password_hash, locked_until if _enabled() else None)


@lru_cache(maxsize=1)
def _peek_statement():
    users, lockouts = User.__table__, LoginLockout.__table__
    email = select(bindparam("email", type_=String).label("email")).subquery()
    return (
        select(users.c.id, users.c.password_hash, lockouts.c.locked_until)
        .select_from(email)
        .outerjoin(users, users.c.email == email.c.email)
        .outerjoin(lockouts, lockouts.c.email == email.c.email)
    )


def of_device(device: TrustedDevice) -> LockState:
    """A trusted device's own lockout record (none while lockout is switched off)."""
    return LockState(device if _enabled() else None, "DEVICE_LOCKOUT_THRESHOLD")


def acquire(email: str) -> tuple[LockState, User | None]:
    """Row-lock the email's lockout record for this transaction, creating it if needed.

    The account with that email (or None) is loaded by the same locking read, so concurrent
    attempts on one email run one after another and each sees the newest committed state.
    MariaDB: the locking read alone (a new email first gets its record from a short
    transaction of its own, so callers must not have pending writes). SQLite ignores
    FOR UPDATE, so an upsert takes the database write lock first.
    """
    if not _enabled():  # no record to lock; just the account, read afresh
        user = db.session.execute(
            select(User).where(User.email == email), execution_options={"populate_existing": True}
        ).scalar_one_or_none()
        return LockState(None), user
    dialect = db.session.get_bind().dialect.name
    touch, read = _statements(dialect)
    if touch is not None:
        db.session.execute(touch, {"email": email, "failures": 0, "level": 0})
    found = _locked_read(read, email)
    if found is None:
        _create_row(email)
        found = _locked_read(read, email)
    row, user = found
    return LockState(row), user


def _locked_read(read, email: str):
    return db.session.execute(
        read, {"email": email}, execution_options={"populate_existing": True}
    ).one_or_none()


@lru_cache(maxsize=4)
def _statements(dialect: str):
    """Built once (this runs on every login): SQLite's write-locking upsert, and the read."""
    touch = None
    if dialect == "sqlite":
        insert = sqlite_insert(LoginLockout)
        touch = insert.on_conflict_do_update(
            index_elements=["email"], set_={"failures": LoginLockout.failures}
        )
    read = (
        select(LoginLockout, User)
        .outerjoin(User, User.email == LoginLockout.email)
        .where(LoginLockout.email == bindparam("email"))
        .with_for_update()
    )
    return touch, read


def _create_row(email: str) -> None:
    """Insert the record in a short transaction of its own (a concurrent twin is ignored).

    It runs on the request's own connection: a second one from the pool could starve it
    when many attempts wait at once. The attempt has only read so far and holds no lock
    (READ COMMITTED reads of a missing row take none), so committing here loses nothing.
    """
    db.session.commit()
    db.session.execute(
        mysql_insert(LoginLockout).prefix_with("IGNORE"),
        {"email": email, "failures": 0, "level": 0},
    )
    db.session.commit()


def register_failure(state: LockState, now: datetime) -> int:
    """Count one failure; returns the lock length in seconds if this failure locked it."""
    row = state.row
    if row is None:
        return 0
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOCKOUT_WINDOW_MINUTES"])
    if row.window_started_at is None or now - row.window_started_at > window:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1
    if row.failures < cfg[state.threshold_setting]:
        return 0
    durations = cfg["LOCKOUT_DURATIONS_MINUTES"]
    recent = row.last_locked_at is not None and now - row.last_locked_at < ESCALATION_MEMORY
    row.level = min(row.level + 1, len(durations)) if recent else 1
    minutes = durations[row.level - 1]
    row.locked_until = now + timedelta(minutes=minutes)
    row.last_locked_at = now
    row.failures = 0
    row.window_started_at = None
    return minutes * 60


def clear(state: LockState, *, forget_level: bool) -> None:
    """End the lock and the failure window; a successful login also forgets escalation."""
    row = state.row
    if row is None:
        return
    row.failures = 0
    row.window_started_at = None
    row.locked_until = None
    if forget_level:
        row.level = 0


def unlock_email(email: str) -> None:
    """End the lock of an email early (the unlock link); escalation is kept."""
    db.session.execute(
        update(LoginLockout)
        .where(LoginLockout.email == email)
        .values(failures=0, window_started_at=None, locked_until=None)
    )


def lock_status(email: str) -> LoginLockout | None:
    """Read-only view of an email's lockout record."""
    return db.session.get(LoginLockout, email)
