"""Redis down: rate limits fall back to memory, logins and resets answer as usual, the
health check says degraded, and the limiter goes back to Redis when it returns."""

from __future__ import annotations

import logging
import time

import pytest
import redis

from tests.helpers import csrf_token
from tests.private_services import limiter_reset, private_redis  # noqa: F401 - fixtures

pytestmark = pytest.mark.faults

FALLBACK = "falling back to in-memory storage"


def _wrong_login(client, token: str):
    begun = time.monotonic()
    r = client.post(
        "/auth/login", data={"csrf_token": token, "email": "nobody@example.com", "password": "x"}
    )
    return r, time.monotonic() - begun


def _keys(server) -> int:
    return redis.Redis.from_url(server.url).dbsize()


def test_limits_survive_redis_going_away_and_come_back(
    app_factory,
    private_redis,  # noqa: F811
    limiter_reset,  # noqa: F811
    caplog,
):
    app = app_factory(RATELIMIT_STORAGE_URI=private_redis.url, RATELIMIT_LOGIN="4 per minute")
    client = app.test_client()
    token = csrf_token(client)
    assert _wrong_login(client, token)[0].status_code == 200
    assert _keys(private_redis) > 0  # the limits live in Redis

    private_redis.kill()
    caplog.set_level(logging.INFO, logger="flask-limiter")
    statuses = []
    for _ in range(6):
        r, took = _wrong_login(client, token)
        statuses.append(r.status_code)
        assert took < 2  # a dead Redis costs no socket timeout worth speaking of
    # Still limited, now in this process's memory: 4 allowed, then 429 with Retry-After.
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert sum(FALLBACK in m for m in caplog.messages) == 1  # logged once
    r = client.post("/api/user/password-reset/", json={"email": "someone@example.com"})
    assert r.status_code == 200
    health = client.get("/api/health/")
    assert health.status_code == 200
    assert health.json["status"] == "degraded"
    assert health.json["checks"]["redis"]["status"] == "down"
    assert health.json["checks"]["database"] == {"status": "ok"}

    private_redis.start()  # same port, empty: it kept nothing
    deadline = time.monotonic() + 20
    while _keys(private_redis) == 0 and time.monotonic() < deadline:
        # Any request gives the limiter its chance to find Redis again (it backs off).
        client.get("/auth/login")
        client.post("/api/user/password-reset/", json={"email": "someone@example.com"})
        time.sleep(0.25)
    assert _keys(private_redis) > 0, "the limiter never went back to Redis"
    assert any("recovered" in m for m in caplog.messages)
    health = client.get("/api/health/")
    assert health.status_code == 200 and health.json["status"] == "ok"
    assert health.json["checks"]["redis"] == {"status": "ok"}
