"""Fixed attempt data for analytics tests, written through the same rollup code as logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert

from webapp.extensions import db
from webapp.models import LoginAttempt, LoginDeviceStat, LoginFailureStat, LoginStat
from webapp.services.tracking import NOT_COUNTED, RollupBatch, device_label

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def add_attempts(rows: list[tuple]) -> None:
    """rows: (user_id or None, naive UTC datetime, success[, user agent[, reason[, method
    [, ip[, email]]]]])."""
    batch = RollupBatch()
    values = []
    for row in rows:
        user_id, when, success = row[:3]
        ua = row[3] if len(row) > 3 else FIREFOX
        reason = row[4] if len(row) > 4 else ("ok" if success else "bad_credentials")
        method = row[5] if len(row) > 5 else "password"
        ip = row[6] if len(row) > 6 else "192.0.2.1"
        email = row[7] if len(row) > 7 else f"u{user_id}@example.com"
        values.append(
            {
                "user_id": user_id,
                "email_tried": email,
                "success": success,
                "method": method,
                "reason": reason,
                "ip": ip,
                "user_agent": ua,
                "device": device_label(ua),
                "created_at": when,
            }
        )
        if reason not in NOT_COUNTED:  # as count_attempt does
            batch.add(user_id, when, success, ua, ip=ip, email=email)
    if values:
        db.session.execute(insert(LoginAttempt), values)
    batch.write()
    db.session.commit()


def clear_attempts() -> None:
    """Remove every attempt and rollup row."""
    for model in (LoginAttempt, LoginStat, LoginDeviceStat, LoginFailureStat):
        db.session.execute(delete(model))
    db.session.commit()


def utc(*args) -> datetime:
    """A naive UTC datetime."""
    return datetime(*args)
