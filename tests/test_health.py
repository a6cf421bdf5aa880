"""/api/health/: each dependency's report, 503 only when a required one is down."""

from __future__ import annotations

import pytest


def test_health_reports_no_redis_when_limits_are_in_memory(app_factory):
    client = app_factory(RATELIMIT_STORAGE_URI="memory://").test_client()
    r = client.get("/api/health/")
    assert r.status_code == 200
    assert r.json == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "outbox": OUTBOX_EMPTY},
    }


OUTBOX_EMPTY = {"status": "ok", "pending": 0, "dead": 0, "oldest_pending_age_s": None}


def test_health_reports_the_mail_backlog_and_degrades_when_mail_is_late(app, db):
    from datetime import timedelta

    from webapp.models import OutboxMail, utcnow

    client = app.test_client()
    db.session.add(
        OutboxMail(
            recipient="a@example.com",
            subject="s",
            body_text="t",
            body_html="h",
            message_id="<m@example.com>",
            created_at=utcnow() - timedelta(minutes=16),
        )
    )
    db.session.commit()
    r = client.get("/api/health/")
    assert r.status_code == 200 and r.json["status"] == "degraded"
    outbox = r.json["checks"]["outbox"]
    assert outbox["status"] == "late" and outbox["pending"] == 1 and outbox["dead"] == 0
    assert outbox["oldest_pending_age_s"] > 15 * 60


DOWN = {"status": "down", "detail": "ZeroDivisionError"}


@pytest.mark.parametrize(
    "probe, required, code, status, reported",
    [
        (lambda: {"status": "ok", "pending": 3}, False, 200, "ok", {"status": "ok", "pending": 3}),
        (lambda: {"status": "late"}, False, 200, "degraded", {"status": "late"}),
        (lambda: 1 / 0, False, 200, "degraded", DOWN),
        (lambda: 1 / 0, True, 503, "down", DOWN),
    ],
)
def test_health_reports_every_registered_check(
    app_factory, monkeypatch, probe, required, code, status, reported
):
    # How the mail outbox joins: one more named check (see services/health.py).
    from webapp.services import health

    others = [check for check in health.CHECKS if check.name != "outbox"]
    monkeypatch.setattr(health, "CHECKS", [*others, health.Check("outbox", probe, required)])
    client = app_factory(RATELIMIT_STORAGE_URI="memory://").test_client()
    r = client.get("/api/health/")
    assert r.status_code == code and r.json["status"] == status
    assert r.json["checks"] == {"database": {"status": "ok"}, "outbox": reported}
