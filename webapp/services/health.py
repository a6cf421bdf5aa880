"""Dependency health: which failures mean "database unreachable", and the checks behind
/api/health/ (a list of named checks, each required or not)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from webapp.extensions import db, limiter
from webapp.services.outbox import backlog


def database_unreachable(error: BaseException | None) -> bool:
    """Whether an exception means the database cannot be reached (connection refused, lost,
    timed out, pool exhausted) rather than a fault of the request or the code."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


@dataclass(frozen=True)
class Check:
    """One dependency: `probe()` returns its report (with a "status"), or raises when down.

    A required dependency that is down makes the whole service unavailable (503); any
    other makes it degraded (200).
    """

    name: str
    probe: Callable[[], dict]
    required: bool = False
    applies: Callable[[], bool] = lambda: True


def _database() -> dict:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


def _uses_redis() -> bool:
    return str(current_app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("redis")


def _redis() -> dict:
    # The limiter's own client: a ping with its short socket timeouts.
    if not limiter.storage.check():
        return {"status": "down", "detail": "rate limits are counted in memory"}
    return {"status": "ok"}


# Mail waiting longer than this means the sender cannot deliver: the service is degraded.
MAIL_LATE_SECONDS = 15 * 60


def outbox_check() -> dict:
    """The mail outbox backlog (pending, dead, oldest pending): mail late is degraded."""
    waiting = backlog()
    late = (waiting["oldest_pending_age_s"] or 0) > MAIL_LATE_SECONDS
    return {"status": "late" if late else "ok", **waiting}


CHECKS: list[Check] = [
    Check("database", _database, required=True),
    Check("redis", _redis, applies=_uses_redis),
    Check("outbox", outbox_check),
]


def run_checks(checks: list[Check] | None = None) -> tuple[str, dict[str, dict]]:
    """Probe every check that applies: ("ok" | "degraded" | "down", reports by name)."""
    reports: dict[str, dict] = {}
    overall = "ok"
    for check in CHECKS if checks is None else checks:
        if not check.applies():
            continue
        try:
            report = check.probe()
        except Exception as error:  # a probe that fails reports its dependency down
            with suppress(Exception):
                db.session.rollback()
            report = {"status": "down", "detail": type(error).__name__}
        reports[check.name] = report
        if report.get("status") != "ok":
            overall = "down" if check.required else ("degraded" if overall == "ok" else overall)
    return overall, reports
