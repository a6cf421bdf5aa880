"""Parallel wrong-password logins: exactly one row each and the right lockout state.

Meant for MariaDB (TEST_DATABASE_URL); it runs on SQLite as well.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from webapp.models import LoginAttempt, LoginLockout, SecurityEvent


@pytest.fixture
def app(app_factory):
    return app_factory(WTF_CSRF_ENABLED=False)


def _parallel_wrong_passwords(app, email: str) -> list[int]:
    def attempt(i):
        client = app.test_client()
        # Distinct addresses: the per-IP rate limit is not what this test is about.
        return client.post(
            "/auth/login",
            data={"email": email, "password": f"wrong-{i}"},
            environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"},
        ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(attempt, range(20)))


def test_20_parallel_wrong_passwords(app, user_factory, db, outbox):
    user = user_factory(email="target@example.com")
    codes = _parallel_wrong_passwords(app, "target@example.com")

    assert sorted(codes) == [200] * 5 + [429] * 15
    rows = db.session.execute(select(LoginAttempt)).scalars().all()
    assert len(rows) == 20
    reasons = sorted(a.reason for a in rows)
    assert reasons == ["bad_credentials"] * 5 + ["locked"] * 15
    assert all(a.user_id == user.id for a in rows)
    lock = db.session.execute(select(LoginLockout)).scalar_one()
    assert lock.level == 1 and lock.locked_until is not None and lock.failures == 0
    assert db.session.scalar(select(func.count(SecurityEvent.id))) == 1
    assert len([m for m in outbox if "locked" in m.subject]) == 1


def test_20_parallel_attempts_on_an_email_never_seen(app, db, outbox):
    """The lockout record is created by the first of 20 racing attempts, once."""
    codes = _parallel_wrong_passwords(app, "nobody@example.com")
    assert sorted(codes) == [200] * 5 + [429] * 15
    reasons = sorted(db.session.execute(select(LoginAttempt.reason)).scalars())
    assert reasons == ["locked"] * 15 + ["unknown_user"] * 5
    lock = db.session.execute(select(LoginLockout)).scalar_one()
    assert lock.email == "nobody@example.com" and lock.level == 1
    assert db.session.scalar(select(func.count(SecurityEvent.id))) == 1
    assert outbox == []  # no account, nobody to tell


def test_20_parallel_right_passwords_on_shared_and_separate_accounts(app, user_factory, db):
    """Ten sign-ins to one account and ten to ten accounts at once: the account rows, the
    lockout records and the everyone rollup row are shared, and nothing is lost."""
    from tests.helpers import PASSWORD
    from webapp.models import LoginStat, User, UserSession

    shared = user_factory(email="shared@example.com")
    others = [user_factory(email=f"solo{i}@example.com") for i in range(10)]
    emails = ["shared@example.com"] * 10 + [u.email for u in others]

    def attempt(i):
        return (
            app.test_client()
            .post(
                "/auth/login",
                data={"email": emails[i], "password": PASSWORD},
                environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"},
            )
            .status_code
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(attempt, range(20)))

    assert codes == [302] * 20
    assert db.session.scalar(select(func.count(UserSession.id))) == 20
    assert db.session.get(User, shared.id).login_count == 10
    assert all(db.session.get(User, u.id).login_count == 1 for u in others)
    reasons = db.session.execute(select(LoginAttempt.reason)).scalars().all()
    assert reasons == ["ok"] * 20
    everyone = db.session.scalar(
        select(func.sum(LoginStat.successes)).where(LoginStat.user_key == -1)
    )
    assert everyone == 20
