"""Progressive lockout keyed by the normalised email, serialised per email with a row lock."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webapp.extensions import db
from webapp.models import LoginLockout, User, utcnow

# A lock more than this long ago no longer escalates the next one.
ESCALATION_MEMORY = timedelta(hours=24)


@dataclass
class LockState:
    """The row-locked lockout record for one email during an attempt."""

    row: LoginLockout | None

    def retry_after(self, now: datetime) -> int:
        """Seconds until the lock ends, or 0 when not locked."""
        if self.row is None or self.row.locked_until is None or self.row.locked_until <= now:
            return 0
        return max(1, math.ceil((self.row.locked_until - now).total_seconds()))


def _enabled() -> bool:
    return bool(current_app.config["LOCKOUT_ENABLED"])


def acquire(email: str) -> tuple[LockState, User | None]:
    """Row-lock the email's lockout record for this transaction, creating it if needed.

    The account with that email (or None) is loaded by the same statement: one upsert and
    one locking read per attempt. The upsert takes the write lock (a row lock on MariaDB,
    the database lock on SQLite), so concurrent attempts on one email run one after another,
    and the locking read sees the newest committed state.
    """
    if not _enabled():
        account = select(User).where(User.email == email)
        return LockState(None), db.session.execute(account).scalar_one_or_none()
    touch, read = _statements(db.session.get_bind().dialect.name)
    db.session.execute(touch, {"email": email, "failures": 0, "level": 0, "updated_at": utcnow()})
    row, user = db.session.execute(
        read, {"email": email}, execution_options={"populate_existing": True}
    ).one()
    return LockState(row), user


@lru_cache(maxsize=4)
def _statements(dialect: str):
    """Built once (this runs on every login): the touch upsert, and the locking read.

    The upsert INSERTs the record or stamps the existing one; either way the row is
    write-locked.
    """
    if dialect == "sqlite":
        insert = sqlite_insert(LoginLockout)
        touch = insert.on_conflict_do_update(
            index_elements=["email"], set_={"updated_at": insert.excluded.updated_at}
        )
    else:
        insert = mysql_insert(LoginLockout)
        touch = insert.on_duplicate_key_update(updated_at=insert.inserted.updated_at)
    read = (
        select(LoginLockout, User)
        .outerjoin(User, User.email == LoginLockout.email)
        .where(LoginLockout.email == bindparam("email"))
        .with_for_update()
    )
    return touch, read


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
    if row.failures < cfg["LOCKOUT_THRESHOLD"]:
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
