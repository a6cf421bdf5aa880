"""/api/health/: each dependency's report, 503 only when a required one is down."""

from __future__ import annotations

import pytest


def test_health_reports_no_redis_when_limits_are_in_memory(app_factory):
    client = app_factory(RATELIMIT_STORAGE_URI="memory://").test_client()
    r = client.get("/api/health/")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "checks": {"database": {"status": "ok"}}}


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

    monkeypatch.setattr(health, "CHECKS", [*health.CHECKS, health.Check("outbox", probe, required)])
    client = app_factory(RATELIMIT_STORAGE_URI="memory://").test_client()
    r = client.get("/api/health/")
    assert r.status_code == code and r.json["status"] == status
    assert r.json["checks"] == {"database": {"status": "ok"}, "outbox": reported}
