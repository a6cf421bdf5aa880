"""Flask-Limiter limits: login per IP, register per IP, reset and resend per email."""

import re

from sqlalchemy import select

from tests.helpers import PASSWORD, login, post_form
from webapp.models import LoginAttempt


def test_login_is_limited_to_10_per_minute_per_ip_and_refusals_are_recorded(client, db):
    codes = [login(client, f"user{i}@example.com", "bad-password").status_code for i in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    r = login(client, "last@example.com", "bad-password")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Too many attempts. Try again in " in r.get_data(as_text=True)
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


def sign_up(client, n: int, **changes):
    data = {
        "username": f"newcomer{n}",
        "email": f"newcomer{n}@example.com",
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        **changes,
    }
    return post_form(client, "/auth/register", data)


def test_register_is_limited_to_5_per_minute(client, outbox):
    codes = [sign_up(client, n).status_code for n in range(6)]
    assert codes == [302] * 5 + [429]


def test_invalid_sign_ups_do_not_use_up_the_limit(client, outbox):
    for n in range(6):  # more than the limit, each refused for the shape of its input
        r = sign_up(client, n, username="ab")
        assert r.status_code == 400 and "A username has 4 to 32 characters." in r.text
    assert post_form(client, "/auth/register", {"username": "", "email": ""}).status_code == 400
    assert sign_up(client, 99).status_code == 302


def test_probing_taken_addresses_uses_up_the_limit(client, outbox, user_factory):
    taken = user_factory(email="taken@example.com")
    codes = [sign_up(client, n, email=taken.email).status_code for n in range(6)]
    assert codes == [400] * 5 + [429]


def test_a_refused_form_keeps_what_was_typed_and_says_when(client, outbox):
    for n in range(5):
        sign_up(client, n)
    r = sign_up(client, 7, username="keptname", email="kept@example.com")
    html = r.text
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60
    assert re.search(r"Too many attempts\. Try again in (\d+ seconds?|1 minute)\.", html)
    assert 'value="keptname"' in html and 'value="kept@example.com"' in html
    assert PASSWORD not in html


def test_a_refused_sign_in_keeps_the_email_but_never_the_password(client):
    for i in range(10):
        login(client, f"user{i}@example.com", "bad-password")
    r = login(client, "typed@example.com", "secret-typed-password", encrypted_password="abcd")
    html = r.text
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert 'value="typed@example.com"' in html and "Try again in" in html
    assert "secret-typed-password" not in html and 'value="abcd"' not in html
    assert 'id="email"' in html  # the form itself, ready for the next try


def test_the_wait_is_said_in_words(app):
    from webapp.errors import try_again_in

    with app.test_request_context():
        assert try_again_in(240) == "Too many attempts. Try again in 4 minutes."
        assert try_again_in(1) == "Too many attempts. Try again in 1 second."
        assert try_again_in(3500) == "Too many attempts. Try again in 1 hour."


def test_the_api_keeps_its_json_429(client):
    for i in range(10):
        client.post("/api/user/token/", json={"email": f"u{i}@example.com", "password": "x"})
    r = client.post("/api/user/token/", json={"email": "u@example.com", "password": "x"})
    assert r.status_code == 429 and r.is_json
    assert set(r.json) == {"detail", "retry_after"} and r.headers["Retry-After"]


def test_forgot_password_is_limited_to_3_per_hour_per_email(client, outbox):
    codes = [
        post_form(client, "/auth/forgot", {"email": "who@example.com"}).status_code
        for _ in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    refused = post_form(client, "/auth/forgot", {"email": "who@example.com"})
    assert 'value="who@example.com"' in refused.text and "Try again in" in refused.text
    other = post_form(client, "/auth/forgot", {"email": "else@example.com"})
    assert other.status_code == 302


def test_rate_limiting_can_be_switched_off(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    client = app.test_client()
    codes = {login(client, f"u{i}@example.com", "bad-password").status_code for i in range(12)}
    assert codes == {200}


def test_a_failed_sign_in_never_sends_the_encrypted_password_back(client):
    r = login(client, "who@example.com", "", encrypted_password="abcd")
    assert r.status_code in (200, 400) and 'value="abcd"' not in r.text
    assert 'value="who@example.com"' in r.text
