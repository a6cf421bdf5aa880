"""The attempt spool: login attempts kept in a local file while the database is down, and
written back exactly once (rollups included) when it returns.

Each attempt is one JSON line with its own id, appended and fsynced under a file lock.
A replay renames the file it takes (appends go on into a new one), writes every attempt
with a row in `replayed_attempts` in the same transaction, and only then deletes the file.
A replay cut short leaves the file behind; the next one skips the ids already written.
A second lock keeps two replayers of one instance folder from running at once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select, text

from webapp.extensions import db
from webapp.models import ReplayedAttempt, User
from webapp.services.tracking import AttemptContext, RollupBatch, insert_attempt

log = logging.getLogger(__name__)

ACTIVE = "attempts.jsonl"
TAKEN = "replaying-*.jsonl"
CHUNK = 500


@dataclass
class ReplayReport:
    """What one replay did."""

    written: int = 0  # attempts written to the database
    skipped: int = 0  # already written by an earlier, interrupted replay
    unreadable: int = 0  # lines that were not a whole record (a torn last line)
    busy: bool = False  # another replayer held the lock: nothing done


def folder() -> Path:
    """The spool folder, under the instance folder (local to this node)."""
    return Path(current_app.instance_path) / "attempt-spool"


def append(ctx: AttemptContext) -> str:
    """Keep one attempt on disk (fsynced before returning); returns its id."""
    record = {
        "id": str(uuid.uuid4()),
        "started_at": ctx.started_at.isoformat(),
        "email": ctx.email,
        "user_id": ctx.user_id,
        "success": ctx.success,
        "reason": ctx.reason or "error",
        "method": ctx.method,
        "ip": ctx.ip,
        "user_agent": ctx.user_agent,
    }
    line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
    where = folder()
    where.mkdir(parents=True, exist_ok=True)
    with _locked(where / "spool.lock"):
        fd = os.open(where / ACTIVE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    return record["id"]


def pending() -> bool:
    """Whether attempts wait in the spool (a directory listing: cheap enough per request)."""
    try:
        names = os.listdir(folder())
    except FileNotFoundError:
        return False
    return any(name.endswith(".jsonl") for name in names)


def replay() -> ReplayReport:
    """Write the spooled attempts back, each exactly once; commits as it goes.

    It commits itself (unlike other services) because each commit must land before the
    file holding its attempts is deleted.
    """
    report = ReplayReport()
    where = folder()
    if not where.exists():
        return report
    with _locked(where / "replay.lock", wait=False) as got:
        if not got:
            report.busy = True
            return report
        # Raises at once while the database is still down, before a file is taken.
        db.session.execute(text("SELECT 1"))
        with _locked(where / "spool.lock"):
            if (where / ACTIVE).exists():
                taken = f"replaying-{time.time_ns()}-{uuid.uuid4().hex[:8]}.jsonl"
                os.rename(where / ACTIVE, where / taken)
        for path in sorted(where.glob(TAKEN)):
            _replay_file(path, report)
            path.unlink()
    if report.written or report.skipped or report.unreadable:
        log.warning(
            "attempt spool replayed: %d written, %d already there, %d unreadable",
            report.written,
            report.skipped,
            report.unreadable,
        )
    return report


def _replay_file(path: Path, report: ReplayReport) -> None:
    records = []
    for line in path.read_bytes().splitlines():
        try:
            record = json.loads(line)
            record["started_at"] = datetime.fromisoformat(record["started_at"])
            records.append(record)
        except (ValueError, KeyError, TypeError):
            report.unreadable += 1
    for i in range(0, len(records), CHUNK):
        _replay_chunk(records[i : i + CHUNK], report)


def _replay_chunk(records: list[dict], report: ReplayReport) -> None:
    """One transaction: the attempts, their rollups and their ids, or none of them."""
    ids = [r["id"] for r in records]
    done = set(
        db.session.scalars(
            select(ReplayedAttempt.spool_id).where(ReplayedAttempt.spool_id.in_(ids))
        )
    )
    fresh = [r for r in records if r["id"] not in done]
    report.skipped += len(records) - len(fresh)
    # An attempt refused before its account was looked up still belongs to that account;
    # an account deleted since then no longer does.
    emails = {r["email"] for r in fresh if r.get("email")}
    owners = dict(
        db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all()
        if emails
        else []
    )
    batch = RollupBatch()
    for r in fresh:
        ctx = AttemptContext(
            ip=str(r.get("ip") or "0.0.0.0"),
            user_agent=str(r.get("user_agent") or ""),
            method=str(r.get("method") or "password"),
            email=str(r.get("email") or ""),
            user_id=owners.get(r.get("email")),
            success=bool(r.get("success")),
            reason=str(r.get("reason") or "error"),
            started_at=r["started_at"],
        )
        insert_attempt(ctx)
        batch.add(ctx.user_id, ctx.started_at, ctx.success, ctx.user_agent, ctx.ip)
        db.session.add(ReplayedAttempt(spool_id=r["id"]))
    batch.write()
    db.session.commit()
    report.written += len(fresh)


@contextmanager
def _locked(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """An exclusive flock on path for the block; yields False if wait=False and it is held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
