"""Flask-Limiter limits: login per IP, register per IP, reset and resend per email."""

from sqlalchemy import select

from tests.helpers import login, post_form
from webapp.models import LoginAttempt


def test_login_is_limited_to_10_per_minute_per_ip_and_refusals_are_recorded(client, db):
    codes = [login(client, f"user{i}@example.com", "bad-password").status_code for i in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    r = login(client, "last@example.com", "bad-password")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Too many requests" in r.get_data(as_text=True)
    rows = db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars().all()
    assert len(rows) == 13
    assert [a.reason for a in rows[10:]] == ["rate_limited"] * 3
    assert rows[-1].email_tried == "last@example.com"


def test_another_ip_is_not_limited(client):
    for i in range(10):
        login(client, f"user{i}@example.com", "bad-password")
    assert login(client, "x@example.com", "bad").status_code == 429
    r = login(client, "x@example.com", "bad-password", headers=None)
    other = post_form(
        client,
        "/auth/login",
        {"email": "y@example.com", "password": "bad-password"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert r.status_code == 429 and other.status_code == 200


def test_x_forwarded_for_is_ignored_without_trusted_proxies(client):
    for i in range(10):
        login(client, f"user{i}@example.com", "bad-password")
    r = post_form(
        client,
        "/auth/login",
        {"email": "z@example.com", "password": "bad-password"},
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    assert r.status_code == 429


def test_trusted_proxy_count_uses_the_forwarded_address(app_factory):
    app = app_factory(TRUSTED_PROXY_COUNT=1)
    client = app.test_client()
    r = post_form(
        client,
        "/auth/login",
        {"email": "p@example.com", "password": "bad-password"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert r.status_code == 200
    with app.app_context():
        from webapp.extensions import db

        assert db.session.execute(select(LoginAttempt.ip)).scalar_one() == "203.0.113.9"


def test_register_is_limited_to_5_per_minute(client):
    codes = [
        post_form(client, "/auth/register", {"username": "", "email": ""}).status_code
        for _ in range(6)
    ]
    assert codes == [400] * 5 + [429]


def test_forgot_password_is_limited_to_3_per_hour_per_email(client, outbox):
    codes = [
        post_form(client, "/auth/forgot", {"email": "who@example.com"}).status_code
        for _ in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    other = post_form(client, "/auth/forgot", {"email": "else@example.com"})
    assert other.status_code == 302


def test_rate_limiting_can_be_switched_off(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    client = app.test_client()
    codes = {login(client, f"u{i}@example.com", "bad-password").status_code for i in range(12)}
    assert codes == {200}
