"""Server-side sessions: one row per login, checked on each request, revocable."""

from datetime import timedelta

from sqlalchemy import select

from tests.helpers import login
from webapp.models import User, UserSession, utcnow
from webapp.services.auth import set_active


def test_each_login_has_its_own_session_row(app, user_factory, db):
    user_factory(email="wes@example.com")
    for _ in range(2):
        login(app.test_client(), "wes@example.com")
    rows = db.session.execute(select(UserSession)).scalars().all()
    assert len(rows) == 2 and len({r.id for r in rows}) == 2


def test_revoked_session_is_logged_out_on_next_request(client, user_factory, db):
    user_factory(email="xan@example.com")
    login(client, "xan@example.com")
    assert client.get("/account/").status_code == 200
    row = db.session.execute(select(UserSession)).scalar_one()
    row.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/account/").status_code == 302


def test_expired_session_is_logged_out(client, user_factory, db):
    user_factory(email="yul@example.com")
    login(client, "yul@example.com")
    row = db.session.execute(select(UserSession)).scalar_one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/account/").status_code == 302


def test_deactivation_ends_every_session(client, user_factory, db):
    user = user_factory(email="zoe@example.com")
    login(client, "zoe@example.com")
    set_active(db.session.get(User, user.id), False)
    db.session.commit()
    assert client.get("/account/").status_code == 302
    row = db.session.execute(select(UserSession)).scalar_one()
    assert row.revoked_reason == "deactivated"


def test_last_seen_is_touched_at_most_once_a_minute(client, user_factory, db):
    user_factory(email="abe@example.com")
    login(client, "abe@example.com")
    row = db.session.execute(select(UserSession)).scalar_one()
    first = row.last_seen_at
    client.get("/account/")
    db.session.expire_all()
    assert db.session.execute(select(UserSession)).scalar_one().last_seen_at == first
    row = db.session.execute(select(UserSession)).scalar_one()
    row.last_seen_at = first - timedelta(minutes=2)
    db.session.commit()
    client.get("/account/")
    db.session.expire_all()
    row = db.session.execute(select(UserSession)).scalar_one()
    assert row.last_seen_at > first - timedelta(minutes=1)
    assert row.user.last_seen_at is not None
