"""The mail outbox: queue messages in the caller's transaction; deliver them under a lease.

A request only adds rows. A sender (the background thread of each app process, or
`flask mail-worker`) claims due rows with a lease, delivers them, and records the outcome.
Claims are exclusive: `SELECT ... FOR UPDATE SKIP LOCKED` on MariaDB, and on every backend a
conditional UPDATE that only takes rows still due, so two senders never send one message.

Retry schedule: after failed attempt n the row waits MAIL_RETRY_BASE_SECONDS * 2**(n-1),
capped at 4 hours, with +-20% jitter. With the defaults (60 s, 14 attempts) that is
1, 2, 4, ... 128 minutes, then 4 hours five times: the 14th attempt comes about a day after
the first, and when it fails too the row is dead. "Retry now" makes a dead row pending again
for one more try.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

from flask import Flask, current_app
from sqlalchemy import and_, func, or_, select, update

from webapp.extensions import db
from webapp.models import OutboxMail, utcnow
from webapp.models.outbox import DEAD, PENDING, SENDING, SENT
from webapp.services.mail_transport import ConnectFailed, Postman, build_message

BATCH_SIZE = 20
MAX_DELAY = timedelta(hours=4)
JITTER = 0.2
QUEUED = "doorman_outbox_queued"  # session.info flag: wake the sender after the commit


@dataclass
class DeliveryReport:
    """What one pass of a sender did."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Claimed:
    """A claimed row's fields, read before the claim's commit expires the ORM object."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    attempts: int


def enqueue(recipient: str, subject: str, body_text: str, body_html: str) -> OutboxMail:
    """Add a message to the session; it is sent only if the caller's transaction commits."""
    now = utcnow()
    row = OutboxMail(
        recipient=recipient,
        subject=subject[:255],
        body_text=body_text,
        body_html=body_html or "",
        message_id=make_msgid(domain=_domain()),
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(row)
    db.session.info[QUEUED] = True
    return row


def backlog() -> dict:
    """Waiting and dead messages, and the age in seconds of the oldest waiting one."""
    counts = dict(
        db.session.execute(
            select(OutboxMail.status, func.count())
            .where(OutboxMail.status.in_((PENDING, SENDING, DEAD)))
            .group_by(OutboxMail.status)
        ).all()
    )
    oldest = db.session.execute(
        select(func.min(OutboxMail.created_at)).where(OutboxMail.status.in_((PENDING, SENDING)))
    ).scalar()
    age = round((utcnow() - oldest).total_seconds(), 1) if oldest is not None else None
    return {
        "pending": counts.get(PENDING, 0) + counts.get(SENDING, 0),
        "dead": counts.get(DEAD, 0),
        "oldest_pending_age_s": age,
    }


def retry_now(ids: list[int]) -> int:
    """Make pending or dead messages due at once (sent and in-flight ones are left alone)."""
    result = db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(ids), OutboxMail.status.in_((PENDING, DEAD)))
        .values(status=PENDING, next_attempt_at=utcnow(), claimed_until=None),
        execution_options={"synchronize_session": False},
    )
    db.session.info[QUEUED] = True
    return result.rowcount


def retry_delay(attempt: int, base_seconds: float) -> timedelta:
    """The wait after failed attempt number `attempt` (1-based): doubling, capped, jittered."""
    delay = min(base_seconds * 2 ** (attempt - 1), MAX_DELAY.total_seconds())
    return timedelta(seconds=delay * random.uniform(1 - JITTER, 1 + JITTER))


def lease_seconds(app: Flask) -> int:
    """How long a claim holds: long enough for a whole batch to time out message by message."""
    return int(BATCH_SIZE * 5 * app.config["MAIL_TIMEOUT_SECONDS"]) + 60


def deliver_pending(app: Flask, *, limit: int = BATCH_SIZE) -> DeliveryReport:
    """One sender pass: claim due rows, deliver them, record each outcome.

    Like a CLI command this is a unit of work of its own, so it commits: the claim before
    talking to SMTP (no lock is held meanwhile), then each outcome as soon as it is known.
    """
    with app.app_context():
        token = _claim_token()
        batch = _claim(token, limit, lease_seconds(app))
        db.session.commit()
        report = DeliveryReport(claimed=len(batch))
        postman = Postman(app)
        try:
            for i, item in enumerate(batch):
                try:
                    postman.send(build_message(item))
                except ConnectFailed as exc:
                    # The server is unreachable: the rest of the batch would fail the same way.
                    for rest in batch[i:]:
                        _record_failure(rest, token, exc.__cause__ or exc)
                    report.failed += len(batch) - i
                    db.session.commit()
                    break
                except Exception as exc:  # any refusal or timeout: retried later
                    _record_failure(item, token, exc)
                    report.failed += 1
                else:
                    _record_sent(item, token)
                    report.sent += 1
                db.session.commit()
        finally:
            postman.close()
        return report


def _due(now):
    """Rows a sender may take: pending and due, or in flight under an expired lease."""
    return or_(
        and_(OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.status == SENDING, OutboxMail.claimed_until < now),
    )


def _claim(token: str, limit: int, lease: int) -> list[_Claimed]:
    now = utcnow()
    # MariaDB skips rows another sender has locked; SQLite ignores the clause and relies
    # on the conditional UPDATE below, which takes only rows that are still due.
    ids = (
        db.session.execute(
            select(OutboxMail.id)
            .where(_due(now))
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    db.session.execute(
        update(OutboxMail)
        .where(OutboxMail.id.in_(ids), _due(now))
        .values(
            status=SENDING,
            claimed_by=token,
            claimed_until=now + timedelta(seconds=lease),
            attempts=OutboxMail.attempts + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    rows = db.session.execute(
        select(OutboxMail)
        .where(OutboxMail.claimed_by == token, OutboxMail.status == SENDING)
        .order_by(OutboxMail.id)
        .execution_options(populate_existing=True)
    ).scalars()
    return [
        _Claimed(r.id, r.recipient, r.subject, r.body_text, r.body_html, r.message_id, r.attempts)
        for r in rows
    ]


def _mine(item: _Claimed, token: str):
    """Only the holder of the claim records an outcome."""
    return and_(
        OutboxMail.id == item.id, OutboxMail.claimed_by == token, OutboxMail.status == SENDING
    )


def _record_sent(item: _Claimed, token: str) -> None:
    # The bodies hold live links and codes, which the database otherwise keeps only as
    # hashes: once delivered they are dropped.
    db.session.execute(
        update(OutboxMail)
        .where(_mine(item, token))
        .values(status=SENT, sent_at=utcnow(), claimed_until=None, body_text="", body_html=""),
        execution_options={"synchronize_session": False},
    )


def _record_failure(item: _Claimed, token: str, error: BaseException) -> None:
    cfg = current_app.config
    now = utcnow()
    values = {"claimed_until": None, "last_error": _describe(error)}
    if item.attempts >= cfg["MAIL_MAX_ATTEMPTS"]:
        values["status"] = DEAD
    else:
        values["status"] = PENDING
        values["next_attempt_at"] = now + retry_delay(item.attempts, cfg["MAIL_RETRY_BASE_SECONDS"])
    db.session.execute(
        update(OutboxMail).where(_mine(item, token)).values(**values),
        execution_options={"synchronize_session": False},
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _claim_token() -> str:
    """Who claims, and which claim: host, process and a random part (unique per pass)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(6)}"


def _domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rpartition("@")[2] or "doorman.local"
