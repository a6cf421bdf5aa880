"""Mail outages with a real SMTP server (aiosmtpd): requests never depend on mail.

Each test has its own SMTP endpoint on a free port: stopped (nothing listening), started,
or a socket that accepts and never answers. Run alone with `pytest -m faults`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from tests.helpers import PASSWORD, login, post_form
from tests.private_services import ReservedPort
from webapp.extensions import db as _db
from webapp.models import OutboxMail, utcnow
from webapp.services import outbox as outbox_service
from webapp.services.outbox import deliver_pending

pytestmark = pytest.mark.faults


class Inbox:
    """aiosmtpd handler: every message received, by Message-ID."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        message_id = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt, message_id))
        return "250 OK"


class SmtpServer:
    """An aiosmtpd server on a reserved port, started and stopped by the test."""

    def __init__(self) -> None:
        self.reserved = ReservedPort()
        self.port = self.reserved.number
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.reserved.release()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
            self.reserved.hold()


@pytest.fixture
def smtp():
    """A private SMTP endpoint, stopped at first (nothing listens on its port)."""
    server = SmtpServer()
    yield server
    server.stop()
    server.reserved.release()


@pytest.fixture
def app(app_factory, smtp):
    """SMTP mail to the private server; the sender is driven by the tests, rate limits off."""
    return app_factory(
        MAIL_BACKEND="smtp",
        MAIL_SUPPRESS_SEND=False,  # Flask-Mail suppresses sending under TESTING
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_TIMEOUT_SECONDS=0.5,
        RATELIMIT_ENABLED=False,
    )


def rows(db) -> list[OutboxMail]:
    """The outbox as it is now (fresh from the database)."""
    query = select(OutboxMail).order_by(OutboxMail.id).execution_options(populate_existing=True)
    return list(db.session.execute(query).scalars())


def make_due(db) -> None:
    """Skip the backoff wait: every waiting row is due now."""
    db.session.execute(update(OutboxMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


SIGNUP = {"username": "dora_w", "email": "dora@example.com"}


def test_smtp_down_every_request_answers_as_usual_and_nothing_is_lost(
    app, client, db, smtp, user_factory
):
    victim = user_factory(email="vic@example.com")
    web = post_form(
        client,
        "/auth/register",
        {**SIGNUP, "password": PASSWORD, "password_repeat": PASSWORD},
    )
    assert web.status_code == 302 and "/auth/verify?email=dora@example.com" in web.location
    api = client.post(
        "/api/user/create/",
        json={
            "username": "ed_api",
            "email": "ed@example.com",
            "password": PASSWORD,
            "passwordRepeat": PASSWORD,
        },
    )
    assert api.status_code == 201, api.json
    known = client.post("/api/user/password-reset/", json={"email": "vic@example.com"})
    unknown = client.post("/api/user/password-reset/", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.json == unknown.json
    web_known = post_form(client, "/auth/forgot", {"email": "vic@example.com"})
    web_unknown = post_form(client, "/auth/forgot", {"email": "nobody@example.com"})
    assert web_known.status_code == web_unknown.status_code == 302
    assert web_known.location == web_unknown.location

    # The lockout must happen although its mail cannot go out.
    wrong = [login(client, victim.email, "wrong-password-x").status_code for _ in range(5)]
    assert wrong == [200] * 5
    assert login(client, victim.email, "wrong-password-x").status_code == 429
    assert login(client, victim.email, PASSWORD).status_code == 429

    queued = rows(db)
    assert [(r.recipient, r.status) for r in queued] == [
        ("dora@example.com", "pending"),
        ("ed@example.com", "pending"),
        ("vic@example.com", "pending"),  # API reset
        ("vic@example.com", "pending"),  # web reset
        ("vic@example.com", "pending"),  # lockout with its unlock link
    ]
    assert "locked" in queued[-1].subject

    report = deliver_pending(app)  # nothing listens: every row fails and waits
    assert (report.claimed, report.sent, report.failed) == (5, 0, 5)
    assert {(r.status, r.attempts) for r in rows(db)} == {("pending", 1)}
    assert all("Connection refused" in r.last_error for r in rows(db))

    smtp.start()
    make_due(db)
    assert deliver_pending(app).sent == 5
    assert deliver_pending(app).claimed == 0  # nothing is due any more
    make_due(db)
    assert deliver_pending(app).claimed == 0  # sent rows are never taken again
    ids = [r.message_id for r in rows(db)]
    assert Counter(m for _, m in smtp.inbox.received) == Counter(ids)  # each exactly once
    assert {r.status for r in rows(db)} == {"sent"}


class SilentServer:
    """Accepts TCP connections (the kernel completes the handshake) and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def silent_app(app_factory):
    server = SilentServer()
    yield app_factory(
        MAIL_BACKEND="smtp",
        MAIL_SUPPRESS_SEND=False,  # Flask-Mail suppresses sending under TESTING
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_TIMEOUT_SECONDS=0.5,
        RATELIMIT_ENABLED=False,
    )
    server.close()


def test_a_server_that_never_answers_delays_no_request_and_the_sender_times_out(
    silent_app, user_factory
):
    app, client = silent_app, silent_app.test_client()
    user_factory(email="hal@example.com")
    started = time.monotonic()
    r = client.post("/api/user/password-reset/", json={"email": "hal@example.com"})
    assert r.status_code == 200
    assert time.monotonic() - started < 1.0

    started = time.monotonic()
    report = deliver_pending(app)
    took = time.monotonic() - started
    assert (report.claimed, report.failed) == (1, 1)
    assert took < 3.0  # one 0.5 s timeout, not a hang
    with app.app_context():
        [row] = rows(_db)
        assert row.status == "pending" and row.attempts == 1
        assert "timed out" in row.last_error
        assert row.next_attempt_at > utcnow() + timedelta(seconds=40)  # first retry ~1 min


def _queue(app, n: int) -> None:
    with app.test_request_context():
        for i in range(n):
            outbox_service.enqueue(f"r{i}@example.com", f"message {i}", f"body {i}", "")
        _db.session.commit()


def test_two_senders_racing_deliver_each_message_exactly_once(app, app_factory, db, smtp):
    """Two app instances (own engines and pools) on one database, claiming small batches."""
    smtp.start()
    twin = app_factory(_keep_data=True, **app.config["TEST_SETTINGS"])
    _queue(app, 60)
    go = threading.Barrier(2)
    claimed, errors = [], []

    def sender(instance):
        try:
            go.wait()
            while report := deliver_pending(instance, limit=3):
                if not report.claimed:
                    break
                claimed.append(report.claimed)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(a,)) for a in (app, twin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(claimed) == 60  # no row was claimed twice
    assert {r.status for r in rows(db)} == {"sent"}
    counts = Counter(m for _, m in smtp.inbox.received)
    assert len(counts) == 60 and set(counts.values()) == {1}


def test_backoff_grows_until_dead_and_retry_now_brings_it_back(
    app, client, db, smtp, actor, user_factory
):
    app.config["MAIL_MAX_ATTEMPTS"] = 4
    user_factory(email="ivy@example.com")
    client.post("/api/user/password-reset/", json={"email": "ivy@example.com"})
    waits = []
    for attempt in range(1, 5):
        make_due(db)
        before = utcnow()
        assert deliver_pending(app).failed == 1
        [row] = rows(db)
        assert row.attempts == attempt
        if attempt < 4:
            assert row.status == "pending"
            waits.append((row.next_attempt_at - before).total_seconds())
        else:
            assert row.status == "dead"
    # 60 s, 120 s, 240 s, each within the +-20% jitter: every wait is longer than the last.
    for wait, nominal in zip(waits, (60, 120, 240), strict=True):
        assert nominal * 0.8 - 1 <= wait <= nominal * 1.2 + 1
    assert waits == sorted(waits)
    assert outbox_service.backlog() == {"pending": 0, "dead": 1, "oldest_pending_age_s": None}
    assert deliver_pending(app).claimed == 0  # dead rows are never taken

    actor("admin")
    response = post_form(
        client,
        "/admin/admin_outbox/action/",
        {"action": "retry", "rowid": [str(row.id)]},
        token_from="/account/",
    )
    assert response.status_code == 302
    [row] = rows(db)
    assert row.status == "pending" and row.next_attempt_at <= utcnow()
    smtp.start()
    assert deliver_pending(app).sent == 1
    [row] = rows(db)
    assert row.status == "sent" and row.attempts == 5 and row.body_text == ""
    assert len(smtp.inbox.received) == 1
