"""Progressive lockout keyed by email: 15 min, then 1 h, then 24 h; unlock link; 429."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import extract
from tests.helpers import PASSWORD, login
from webapp.models import LoginAttempt, LoginLockout, SecurityEvent, utcnow


@pytest.fixture
def app(app_factory):
    """Rate limits off, so every 429 here comes from the lockout."""
    return app_factory(RATELIMIT_ENABLED=False)


def fail(client, email, n=1, **kw):
    return [login(client, email, "wrong-password-x", **kw) for _ in range(n)]


def reasons(db):
    return [
        a.reason
        for a in db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars()
    ]


def lock_row(db, email):
    return db.session.execute(select(LoginLockout).where(LoginLockout.email == email)).scalar_one()


def expire_lock(db, email):
    row = lock_row(db, email)
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_fifth_failure_answers_400_and_sixth_429(client, user_factory, db, outbox):
    user = user_factory(email="frank@example.com")
    responses = fail(client, "frank@example.com", 5)
    assert [r.status_code for r in responses] == [200] * 5
    r = login(client, "frank@example.com", PASSWORD)  # even the right password
    assert r.status_code == 429
    assert 890 <= int(r.headers["Retry-After"]) <= 900
    assert "Try again in 15 minutes" in r.get_data(as_text=True)
    assert reasons(db) == ["bad_credentials"] * 5 + ["locked"]
    event = db.session.execute(select(SecurityEvent)).scalar_one()
    assert event.kind == "lockout" and event.user_id == user.id
    [mail] = [m for m in outbox if "locked" in m.subject]
    assert "/auth/unlock/" in mail.body and mail.html


def test_lockout_is_keyed_by_normalised_email_even_for_unknown_accounts(client, db, outbox):
    fail(client, "Ghost@Example.com", 3)
    fail(client, "ghost@example.com ", 2)
    r = login(client, "GHOST@example.com", "whatever-pass")
    assert r.status_code == 429
    assert reasons(db) == ["unknown_user"] * 5 + ["locked"]
    assert outbox == []  # nobody to tell


def test_escalation_15_minutes_then_1_hour_then_24_hours(client, user_factory, db):
    user_factory(email="gina@example.com")
    expected = [15 * 60, 60 * 60, 24 * 60 * 60]
    for seconds in expected:
        fail(client, "gina@example.com", 5)
        r = login(client, "gina@example.com")
        assert r.status_code == 429
        assert seconds - 10 <= int(r.headers["Retry-After"]) <= seconds
        expire_lock(db, "gina@example.com")
    assert lock_row(db, "gina@example.com").level == 3


def test_success_resets_the_failure_count_and_escalation(client, user_factory, db):
    user_factory(email="hank@example.com")
    fail(client, "hank@example.com", 4)
    assert login(client, "hank@example.com").status_code == 302
    client.post("/auth/logout")  # not needed: a fresh client follows
    row = lock_row(db, "hank@example.com")
    assert row.failures == 0 and row.level == 0


def test_failures_outside_the_window_do_not_add_up(client, user_factory, db):
    user_factory(email="ivy@example.com")
    fail(client, "ivy@example.com", 4)
    row = lock_row(db, "ivy@example.com")
    row.window_started_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    fail(client, "ivy@example.com", 1)
    assert lock_row(db, "ivy@example.com").failures == 1
    assert login(client, "ivy@example.com").status_code == 302


def test_unlock_link_ends_the_lock_early_and_only_once(client, user_factory, db, outbox):
    user_factory(email="jack@example.com")
    fail(client, "jack@example.com", 5)
    link = extract(r"(http://localhost/auth/unlock/\S+)", outbox[-1].body)
    assert login(client, "jack@example.com").status_code == 429
    r = client.get(link)
    assert r.status_code == 302
    assert client.get(link).status_code == 400
    assert login(client, "jack@example.com").status_code == 302


def test_lockout_can_be_switched_off(app_factory):
    from tests.helpers import make_user

    app = app_factory(LOCKOUT_ENABLED=False)
    with app.app_context():
        make_user(email="kim@example.com")
    client = app.test_client()
    fail(client, "kim@example.com", 7)
    assert login(client, "kim@example.com").status_code == 302
