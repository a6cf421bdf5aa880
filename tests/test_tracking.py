"""Attempt recording: one row per attempt, the rollup, atomic counters, failures and crashes."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.helpers import PASSWORD, login
from webapp.models import LoginAttempt, LoginStat, User
from webapp.services import auth
from webapp.services.tracking import bucket_of, device_label


def stats(db):
    """(user_key, successes, failures) summed over buckets (a test may straddle two)."""
    rows = db.session.execute(
        select(
            LoginStat.user_key, func.sum(LoginStat.successes), func.sum(LoginStat.failures)
        ).group_by(LoginStat.user_key)
    ).all()
    return {tuple(r) for r in rows}


def test_rollup_counts_match_attempts(client, user_factory, db):
    user = user_factory(email="lea@example.com")
    login(client, "lea@example.com", "bad-password")
    login(client, "nobody@example.com", "bad-password")
    login(client, "lea@example.com")
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 3
    assert stats(db) == {(user.id, 1, 1), (0, 0, 1), (-1, 1, 2)}


def test_login_count_is_atomic_and_cumulative(app, user_factory, db):
    user = user_factory(email="max@example.com")
    for _ in range(3):
        c = app.test_client()
        assert login(c, "max@example.com").status_code == 302
    assert db.session.get(User, user.id).login_count == 3


def test_an_exception_in_the_pipeline_still_records_exactly_one_row(
    app, client, user_factory, db, monkeypatch
):
    user_factory(email="ned@example.com")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom(*args, **kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(auth, "open_session", boom)
    r = login(client, "ned@example.com", PASSWORD)
    assert r.status_code == 500
    assert "Something went wrong" in r.get_data(as_text=True)
    [a] = db.session.execute(select(LoginAttempt)).scalars().all()
    assert a.reason == "error" and a.success is False and a.session_id is None
    assert db.session.get(User, a.user_id).login_count == 0


def test_get_requests_to_the_login_page_are_not_attempts(client, db):
    client.get("/auth/login")
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0


def test_user_agent_is_truncated_and_never_null(client, db):
    login(client, "a@example.com", "bad-password", headers={"User-Agent": "x" * 5000})
    client.environ_base.pop("HTTP_USER_AGENT", None)
    login(client, "b@example.com", "bad-password", headers={"User-Agent": ""})
    rows = db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars().all()
    assert len(rows[0].user_agent) == 512 and rows[1].user_agent == ""
    assert rows[1].device == "Unknown device"


@pytest.mark.parametrize(
    "moment, bucket",
    [
        (datetime(2026, 3, 29, 0, 0, 0), datetime(2026, 3, 29, 0, 0)),
        (datetime(2026, 3, 29, 0, 14, 59, 999999), datetime(2026, 3, 29, 0, 0)),
        (datetime(2026, 3, 29, 0, 15), datetime(2026, 3, 29, 0, 15)),
        (datetime(2026, 3, 29, 23, 59, 59), datetime(2026, 3, 29, 23, 45)),
    ],
)
def test_bucket_of(moment, bucket):
    assert bucket_of(moment) == bucket


@pytest.mark.parametrize(
    "ua, label",
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Mobile Safari 18 on iOS 18.1 (Mobile)",
        ),
        ("", "Unknown device"),
        ("curl/8.5.0", "curl 8 on Other"),
    ],
)
def test_device_label(ua, label):
    assert device_label(ua) == label


def test_rollup_keeps_the_newest_success_through_upserts_moves_and_rebuilds(db, user_factory):
    """Each bucket's newest success survives merging (the upsert), an account's deletion
    (its rows move to the no-account key) and a rebuild from the raw attempts."""
    from tests.analytics_data import add_attempts
    from webapp.services.tracking import reassign_rollups, rebuild_rollups

    alice = user_factory().id
    early, late = datetime(2026, 3, 1, 10, 2), datetime(2026, 3, 1, 10, 9, 30)
    add_attempts([(alice, late, True), (None, early, True)])
    add_attempts([(alice, early, True), (alice, datetime(2026, 3, 1, 10, 12), False)])

    def newest():
        return dict(db.session.execute(select(LoginStat.user_key, LoginStat.last_success_at)).all())

    assert newest() == {alice: late, 0: early, -1: late}
    reassign_rollups(alice)
    db.session.commit()
    assert newest() == {0: late, -1: late}
    # The raw attempts still name alice, so a rebuild puts her bucket back, unchanged.
    changes = rebuild_rollups()
    db.session.commit()
    assert newest() == {alice: late, 0: early, -1: late}
    assert changes["stat_rows_added"] == 1 and changes["stat_rows_changed"] == 1


def test_everyone_rows_are_sharded_folded_and_added_up(client, db, user_factory, monkeypatch):
    """On a server database everyone's count for the open quarter goes to the shard its
    attempt's microseconds pick (parallel sign-ins seldom share a row; SQLite, with one write
    lock, keeps one shard). The first attempt of the next quarter folds the closed quarter's
    shards into shard 0. The admin dashboard's totals add the shards up all along, and a
    rebuild from the raw attempts finds nothing to change."""
    from datetime import timedelta

    from tests.analytics_data import add_attempts
    from tests.api_helpers import bearer, tokens_for
    from webapp.models.login_attempt import EVERYONE_SHARDS
    from webapp.services import tracking
    from webapp.services.tracking import bucket_of, rebuild_rollups

    monkeypatch.setattr(tracking, "_FOLDED", {})
    shards = 1 if db.engine.dialect.name == "sqlite" else EVERYONE_SHARDS
    admin = user_factory(email="root@example.com", role="admin")
    now = tracking.utcnow()
    sent = 2 * EVERYONE_SHARDS
    add_attempts([(admin.id, now.replace(microsecond=n), n % 3 == 0) for n in range(sent)])

    def everyone(bucket):
        return sorted(
            db.session.execute(
                select(LoginStat.shard, LoginStat.successes + LoginStat.failures).where(
                    LoginStat.user_key == -1, LoginStat.bucket_start == bucket
                )
            ).all()
        )

    assert everyone(bucket_of(now)) == [(n, sent // shards) for n in range(shards)]
    token = tokens_for(client, admin)["access"]  # one more attempt
    body = client.get("/api/user/admin/dashboard/", headers=bearer(token)).json
    assert body["total_logins"] == sent + 1
    assert body["total_successful_logins"] == len(range(0, sent, 3)) + 1
    later = now + timedelta(minutes=15)
    monkeypatch.setattr(tracking, "utcnow", lambda: later)
    tokens_for(client, admin)  # the first attempt of the next quarter folds the last one
    db.session.expire_all()
    assert everyone(bucket_of(now)) == [(0, sent + 2)]
    body = client.get("/api/user/admin/dashboard/", headers=bearer(token)).json
    assert body["total_logins"] == sent + 2
    changes = rebuild_rollups()
    assert changes["stat_rows_changed"] == changes["device_rows_changed"] == 0
    assert changes["stat_rows_added"] == changes["stat_rows_removed"] == 0
