"""The test fixtures themselves: safe under the parallel requests that concurrency tests make,
and apart from the other pytest-xdist worker's."""

import socket
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from sqlalchemy import select

from tests.conftest import TEST_REDIS_URL, _worker_redis_url
from tests.helpers import login
from tests.private_services import ReservedPort
from webapp.models import User


def test_db_fixture_syncs_safely_from_parallel_requests(app, db, user_factory):
    """The db fixture commits its session around every request; 20 threads at once must not
    commit it concurrently (IllegalStateChangeError). Threads switch as often as possible,
    so that the race shows at once if the fixture ever lets two commits overlap."""
    user_factory()
    db.session.execute(select(User)).scalars().all()  # the session holds rows and a transaction

    def hit(i):
        return app.test_client().get("/auth/login").status_code

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(hit, range(400)))
    finally:
        sys.setswitchinterval(interval)
    assert codes == [200] * 400


@pytest.mark.parametrize(
    "worker, url, expected",
    [
        (None, "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15"),
        ("gw0", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15"),
        ("gw1", "redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/14"),
        (
            "gw1",
            "redis://:pw@127.0.0.1:6379/6?socket_timeout=1",
            "redis://:pw@127.0.0.1:6379/5?socket_timeout=1",
        ),
        ("gw0", "redis://127.0.0.1:6379", "redis://127.0.0.1:6379/0"),
    ],
)
def test_each_worker_flushes_its_own_redis_db(monkeypatch, worker, url, expected):
    if worker:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    else:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert _worker_redis_url(url) == expected


def test_a_worker_without_a_redis_db_left_stops_the_run(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    with pytest.raises(pytest.UsageError, match="no Redis db for worker gw1"):
        _worker_redis_url("redis://127.0.0.1:6379/0")


def test_the_apps_limits_live_in_this_workers_redis_db(app, client):
    assert app.config["RATELIMIT_STORAGE_URI"] == (TEST_REDIS_URL or "memory://")
    login(client, "nobody@example.com", "wrong")
    if TEST_REDIS_URL:
        assert redis.Redis.from_url(TEST_REDIS_URL).dbsize() > 0  # the login's limit counters


def test_a_reserved_port_refuses_connections_until_its_server_listens():
    port = ReservedPort()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port.number), timeout=2)
    # Nobody else may bind it meanwhile, not even with SO_REUSEADDR.
    with socket.socket() as other, pytest.raises(OSError):
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", port.number))
    port.release()
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port.number))
        server.listen()
        socket.create_connection(("127.0.0.1", port.number), timeout=2).close()
        server.accept()[0].close()
    port.hold()  # the server is gone: the port is kept again, and refuses again
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port.number), timeout=2)
    port.release()
