"""Login attempt recording: one row per attempt plus the 15-minute rollup upsert."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webapp.extensions import db
from webapp.models import LoginAttempt, LoginStat, User, utcnow
from webapp.models.login_attempt import BUCKET_SECONDS

EMAIL_MAX = 254


@dataclass
class AttemptContext:
    """What one login request is: captured before the view, completed by the pipeline."""

    ip: str
    user_agent: str
    method: str = "password"
    email: str = ""
    user_id: int | None = None
    success: bool = False
    reason: str | None = None
    session_id: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    recorded: bool = False

    def finish(self, reason: str, *, user: User | None = None, success: bool = False) -> None:
        """Set the outcome; the request hook writes the row."""
        self.reason = reason
        self.success = success
        if user is not None:
            self.user_id = user.id


@lru_cache(maxsize=4096)
def device_label(user_agent: str) -> str:
    """Short 'Browser on OS' label parsed from a user agent string."""
    if not user_agent:
        return "Unknown device"
    from user_agents import parse

    ua = parse(user_agent)
    if ua.is_bot:
        return f"Bot ({ua.browser.family})"[:120]
    browser = " ".join(x for x in (ua.browser.family, ua.browser.version_string.split(".")[0]) if x)
    os_name = " ".join(x for x in (ua.os.family, ua.os.version_string) if x)
    kind = "Mobile" if ua.is_mobile else "Tablet" if ua.is_tablet else ""
    label = f"{browser} on {os_name}" + (f" ({kind})" if kind else "")
    return label.replace("Other on Other", "Unknown device")[:120]


def bucket_of(moment: datetime) -> datetime:
    """The UTC 15-minute bucket a naive-UTC moment falls in."""
    seconds = moment.minute * 60 + moment.second
    start = seconds - seconds % BUCKET_SECONDS
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(seconds=start)


def upsert_stats(rows: dict[tuple[int, datetime], tuple[int, int]]) -> None:
    """Add (successes, failures) to each (user_key, bucket) rollup row, inserting as needed."""
    if not rows:
        return
    values = [
        {"user_key": k[0], "bucket_start": k[1], "successes": v[0], "failures": v[1]}
        for k, v in rows.items()
    ]
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        stmt = sqlite_insert(LoginStat)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_key", "bucket_start"],
            set_={
                "successes": LoginStat.successes + stmt.excluded.successes,
                "failures": LoginStat.failures + stmt.excluded.failures,
            },
        )
    elif dialect in ("mysql", "mariadb"):
        stmt = mysql_insert(LoginStat)
        stmt = stmt.on_duplicate_key_update(
            successes=LoginStat.successes + stmt.inserted.successes,
            failures=LoginStat.failures + stmt.inserted.failures,
        )
    else:  # pragma: no cover - other backends are not supported
        raise RuntimeError(f"unsupported database dialect {dialect}")
    db.session.execute(stmt, values)


def record_attempt(ctx: AttemptContext) -> LoginAttempt:
    """Add the attempt row and its rollup increment to the session (the caller commits)."""
    ctx.recorded = True
    when = ctx.started_at
    attempt = LoginAttempt(
        user_id=ctx.user_id,
        email_tried=(ctx.email or "")[:EMAIL_MAX],
        success=ctx.success,
        method=ctx.method,
        reason=ctx.reason or "error",
        ip=ctx.ip[:45],
        user_agent=ctx.user_agent or "",
        device=device_label(ctx.user_agent or ""),
        session_id=ctx.session_id,
        created_at=when,
    )
    db.session.add(attempt)
    key = (ctx.user_id or 0, bucket_of(when))
    upsert_stats({key: (1, 0) if ctx.success else (0, 1)})
    return attempt


def count_login(user: User, ip: str, when: datetime) -> None:
    """Atomically bump login_count and set the last-login fields (no read-modify-write)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(login_count=User.login_count + 1, last_login_at=when, last_login_ip=ip[:45])
        .execution_options(synchronize_session=False)
    )
