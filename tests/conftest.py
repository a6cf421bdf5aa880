"""Fixtures: a fresh app and database per test, clients, mail capture, factories.

TEST_DATABASE_URL runs the suite on MariaDB/MySQL; TEST_REDIS_URL puts the limiter on Redis.

`make test` runs two pytest-xdist workers (gw0, gw1); each has its own database and Redis db
(see `_worker_url` and `_worker_redis_url`). A test writes only below `tmp_path` (or
`tmp_path_factory`, both per worker) and listens only on a port the system chose
(`tests.private_services.ReservedPort`, or port 0): never a fixed path or port.
"""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import got_request_exception, request_finished, request_started
from flask_mail import email_dispatched

from tests.helpers import Actor, make_user
from tests.mfa_helpers import clock, enrolled  # noqa: F401 (fixtures of second-factor tests)
from tests.passkey_helpers import authenticator  # noqa: F401 (the software authenticator)
from webapp import create_app
from webapp.extensions import db as _db
from webapp.services.outbox import deliver_pending


def worker_number() -> int:
    """This process's pytest-xdist worker: 0 for gw0 (or without workers), 1 for gw1, ..."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def _worker_redis_url(url: str | None) -> str | None:
    """Worker gwN uses the Redis db N below the one in the URL (db 15: 15 for gw0, 14 for gw1).

    The fixtures flush that db before each test, so two workers must never share one.
    """
    if not url:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db_number = base - worker_number()
    if db_number < 0:
        raise pytest.UsageError(
            f"TEST_REDIS_URL db {base} leaves no Redis db for worker gw{worker_number()}"
        )
    return urlunsplit(parts._replace(path=f"/{db_number}"))


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = _worker_redis_url(os.environ.get("TEST_REDIS_URL"))


def _worker_url(url: str) -> str:
    """One database per xdist worker, so parallel workers never share rows."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base, _, query = url.partition("?")
    server, _, name = base.rpartition("/")
    worker_db = f"{name}_{worker}"
    engine = sa.create_engine(f"{server}/{name}")
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{worker_db}`"))
    engine.dispose()
    return f"{server}/{worker_db}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The shared server database for this worker, schema created once."""
    if not TEST_DATABASE_URL:
        return None
    url = _worker_url(TEST_DATABASE_URL)
    instance = tmp_path_factory.mktemp("schema")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(instance))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        _db.engine.dispose()
    return url


def _clean(url: str) -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app_factory(tmp_path, database_url):
    """Build apps with test settings; extra settings as keyword arguments."""
    built = []

    def build(**overrides):
        settings = {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'test.db'}",
            "RATELIMIT_STORAGE_URI": TEST_REDIS_URL or "memory://",
            "SERVER_NAME": None,
        }
        settings.update(overrides)
        keep_data = settings.pop("_keep_data", False)
        app = create_app("testing", **settings)
        app.config["TEST_SETTINGS"] = settings
        if keep_data:
            built.append(app)
            return app
        with app.app_context():
            if database_url:
                _clean(database_url)
            else:
                _db.create_all()
        if TEST_REDIS_URL:
            import redis

            redis.Redis.from_url(TEST_REDIS_URL).flushdb()
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def app(app_factory):
    """A fresh app with an empty database.

    No app context stays pushed: each request gets its own, as in production
    (a shared one would carry g and the session across requests).
    """
    return app_factory()


@pytest.fixture
def client(app):
    """Test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """CLI runner for the app."""
    return app.test_cli_runner()


@pytest.fixture
def db(app, app_factory):
    """The SQLAlchemy extension, for direct queries between requests.

    Its context belongs to a twin app on the same database, so requests still get
    their own app context (and their own g). The test's session is committed before
    each request and refreshed after it, so it never holds locks or stale rows. Requests
    made from several threads at once take turns: a Session is not thread-safe, and two
    concurrent commits of it raise IllegalStateChangeError.
    """
    # Same settings: extensions such as the limiter keep one state for all apps.
    twin = app_factory(_keep_data=True, **app.config["TEST_SETTINGS"])
    with twin.app_context():
        test_session = _db.session()
        turn = threading.Lock()

        def sync(sender, **extra):
            with turn:
                test_session.commit()

        request_started.connect(sync, app)
        request_finished.connect(sync, app)
        got_request_exception.connect(sync, app)
        try:
            yield _db
        finally:
            for signal in (request_started, request_finished, got_request_exception):
                signal.disconnect(sync, app)


@pytest.fixture
def deliver_mail(app):
    """Deliver the mail outbox at the end of each request, as the background sender would.

    The sender thread is off in tests; this keeps delivery synchronous and ordered. Every app
    the test builds delivers (app_factory's too), so a test may bring its own settings.
    """

    def deliver(sender, **extra):
        deliver_pending(sender)

    request_finished.connect(deliver)
    yield
    request_finished.disconnect(deliver)


@pytest.fixture
def outbox(app, deliver_mail):
    """Messages sent during the test, in order (delivered at the end of each request)."""
    messages = []

    def record(app, message):
        messages.append(message)

    email_dispatched.connect(record)
    yield messages
    email_dispatched.disconnect(record)


@pytest.fixture
def user_factory(app):
    """Create users: user_factory(role='staff', verified=True, ...); returns detached rows."""

    def build(*args, **kwargs):
        with app.app_context():
            return make_user(*args, **kwargs)

    return build


@pytest.fixture
def actor(app, client):
    """Log in as anonymous / user / staff / admin: actor('staff')."""

    def become(role: str | None) -> Actor:
        with app.app_context():
            user = make_user(role=role) if role else None
        return Actor.sign_in(client, role, user)

    return become


def extract(pattern: str, text: str) -> str:
    """First group of a regex in text; fails the test when absent."""
    match = re.search(pattern, text)
    assert match, f"pattern {pattern!r} not found"
    return match.group(1)
