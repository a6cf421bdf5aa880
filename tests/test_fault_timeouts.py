"""A dependency that accepts connections and never answers costs a request a short timeout,
never a hung worker."""

from __future__ import annotations

import threading
import time

import pytest

from tests.helpers import csrf_token
from tests.private_services import limiter_reset, silent_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.faults


def _within(seconds: float, call):
    """Run call on a thread; its result, or None if it is still running after `seconds`."""
    box = []
    thread = threading.Thread(target=lambda: box.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    return box[0] if box else None


def test_a_hung_redis_costs_a_login_its_short_timeout(
    app_factory,
    silent_server,  # noqa: F811
    limiter_reset,  # noqa: F811
):
    app = app_factory(
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{silent_server}/0", RATELIMIT_REDIS_TIMEOUT=0.3
    )
    client = app.test_client()
    token = csrf_token(client)
    begun = time.monotonic()
    r = _within(
        10,
        lambda: client.post(
            "/auth/login", data={"csrf_token": token, "email": "a@example.com", "password": "x"}
        ),
    )
    assert r is not None, "the login hung on Redis"
    assert r.status_code == 200 and time.monotonic() - begun < 5
    assert _within(10, lambda: client.get("/api/health/")).json["status"] == "degraded"


def test_a_hung_database_answers_503_after_its_timeouts(app_factory, silent_server):  # noqa: F811
    app = app_factory(
        SQLALCHEMY_DATABASE_URI=f"mysql+pymysql://root@127.0.0.1:{silent_server}/doorman",
        DATABASE_CONNECT_TIMEOUT=1,
        DATABASE_READ_TIMEOUT=1,  # PyMySQL waits for the greeting this long
        RATELIMIT_STORAGE_URI="memory://",
        _keep_data=True,
    )
    client = app.test_client()
    token = csrf_token(client)
    begun = time.monotonic()
    r = _within(
        15,
        lambda: client.post(
            "/auth/login", data={"csrf_token": token, "email": "a@example.com", "password": "x"}
        ),
    )
    assert r is not None, "the login hung on the database"
    assert r.status_code == 503 and "Retry-After" in r.headers
    assert time.monotonic() - begun < 8
    health = _within(15, lambda: client.get("/api/health/"))
    assert health.status_code == 503 and health.json["checks"]["database"]["status"] == "down"
