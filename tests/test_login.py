"""Web login and logout: generic errors, remember-me, next=, sessions, CSRF."""

import time

import pytest
from sqlalchemy import select

from tests.helpers import PASSWORD, csrf_token, login, post_form
from webapp.models import LoginAttempt, User, UserSession


def attempts(db):
    return db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars().all()


def test_login_success_shows_name_and_records_everything(client, user_factory, db):
    user = user_factory(email="bob@example.com", username="bobby")
    r = login(
        client,
        "BOB@example.com ",
        headers={
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
        },
    )
    assert r.status_code == 302 and r.location.endswith("/dashboard/")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="nav-user">bobby<' in page
    [a] = attempts(db)
    assert (a.user_id, a.success, a.reason, a.method) == (user.id, True, "ok", "password")
    assert a.email_tried == "bob@example.com" and a.ip == "127.0.0.1"
    assert a.device.startswith("Firefox 132 on Linux")
    row = db.session.get(User, user.id)
    assert row.login_count == 1 and row.last_login_ip == "127.0.0.1" and row.last_login_at
    session = db.session.execute(select(UserSession)).scalar_one()
    assert a.session_id == session.id and session.revoked_at is None


@pytest.mark.parametrize("case", ["unknown", "wrong", "inactive"])
def test_failures_look_identical(client, user_factory, db, case):
    user_factory(email="carol@example.com", active=case != "inactive")
    email = "nobody@example.com" if case == "unknown" else "carol@example.com"
    password = "not-the-password" if case == "wrong" else PASSWORD
    r = login(client, email, password)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Invalid email or password." in html
    assert "inactive" not in html.lower() and "no account" not in html.lower()
    [a] = attempts(db)
    assert not a.success
    assert (
        a.reason
        == {"unknown": "unknown_user", "wrong": "bad_credentials", "inactive": "inactive"}[case]
    )
    # The sign-in prepared while the hash was checked left nothing behind.
    assert db.session.execute(select(UserSession)).first() is None
    carol = db.session.execute(select(User)).scalar_one()
    assert carol.login_count == 0 and carol.last_login_at is None


def test_remember_me_sets_a_30_day_cookie(client, user_factory, db):
    user = user_factory()
    r = login(client, user.email, remember="y")
    cookie = client.get_cookie("remember_token")
    assert r.status_code == 302 and cookie is not None
    session = db.session.execute(select(UserSession)).scalar_one()
    assert session.remember and (session.expires_at - session.created_at).days == 30
    assert cookie.http_only


def test_session_cookie_flags(client, user_factory):
    user = user_factory()
    login(client, user.email)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/account/", "/account/"),
        ("/dashboard/?x=1", "/dashboard/?x=1"),
        ("https://evil.example/", "/dashboard/"),
        ("//evil.example/", "/dashboard/"),
        ("/\\evil.example", "/dashboard/"),
        ("javascript:alert(1)", "/dashboard/"),
        ("http:/evil.example", "/dashboard/"),
        ("/%0d%0aLocation: http://evil", "/%0d%0aLocation:%20http://evil"),
    ],
)
def test_next_only_leads_to_this_site(client, user_factory, target, expected):
    user = user_factory()
    r = login(client, user.email, next=target)
    assert r.status_code == 302
    assert r.location == expected


def test_next_from_the_query_string_is_carried_into_the_form(client, user_factory):
    user_factory(email="dan@example.com")
    r = client.get("/account/")
    assert r.status_code == 302 and "/auth/login?next=" in r.location
    html = client.get("/auth/login?next=/account/").get_data(as_text=True)
    assert 'value="/account/"' in html
    html = client.get("/auth/login?next=https://evil.example").get_data(as_text=True)
    assert "evil.example" not in html


def test_logout_requires_post_and_csrf_and_revokes_the_session(client, user_factory, db):
    user = user_factory()
    login(client, user.email)
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400  # no CSRF token
    assert client.get("/account/").status_code == 200
    r = post_form(client, "/auth/logout", {}, token_from="/account/")
    assert r.status_code == 302
    assert client.get("/account/").status_code == 302
    session = db.session.execute(select(UserSession)).scalar_one()
    assert session.revoked_at is not None and session.revoked_reason == "logout"


def test_stolen_remember_cookie_dies_with_the_session(app, client, user_factory):
    user = user_factory()
    login(client, user.email, remember="y")
    remember = client.get_cookie("remember_token").value
    post_form(client, "/auth/logout", {}, token_from="/account/")
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert thief.get("/account/").status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        {"email": "", "password": "x"},
        {"email": "a@example.com", "password": ""},
        {"email": "a" * 10_000 + "@example.com", "password": "x"},
        {"email": "a@example.com", "password": "p" * 10_000},
        {"email": "not an email", "password": "x"},
    ],
)
def test_bad_login_input_is_an_attempt_with_a_clear_error(client, db, data):
    r = post_form(client, "/auth/login", data)
    assert r.status_code == 400
    assert 'class="invalid-feedback"' in r.get_data(as_text=True)
    [a] = attempts(db)
    assert a.reason == "invalid_input" and not a.success and len(a.email_tried) <= 254


def test_login_without_csrf_is_recorded_as_bad_request(client, user_factory, db):
    user = user_factory()
    r = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 400
    [a] = attempts(db)
    assert a.reason == "bad_request" and a.email_tried == user.email


def test_a_forged_csrf_token_is_refused(client, user_factory, app):
    user = user_factory()
    other = app.test_client()
    token = csrf_token(other)
    r = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 400


def test_logged_in_user_visiting_login_is_sent_on(client, user_factory):
    user = user_factory()
    login(client, user.email)
    r = client.get("/auth/login")
    assert r.status_code == 302 and r.location.endswith("/dashboard/")


def test_rehash_on_login_when_parameters_change(app_factory, tmp_path):
    from tests.helpers import make_user
    from webapp.extensions import db

    app = app_factory()
    with app.app_context():
        user = make_user(email="eve@example.com")
        old_hash = user.password_hash
    app2 = app_factory(ARGON2_TIME_COST=2, _keep_data=True)
    client = app2.test_client()
    assert login(client, "eve@example.com").status_code == 302
    with app2.app_context():
        new_hash = db.session.get(User, user.id).password_hash
    assert new_hash != old_hash and "t=2" in new_hash


def test_unverified_with_the_right_password_opens_no_session(client, user_factory, db):
    user_factory(email="dave@example.com", verified=False)
    r = login(client, "dave@example.com")
    assert r.status_code == 200 and "verify" in r.get_data(as_text=True).lower()
    [a] = attempts(db)
    assert a.reason == "unverified" and a.session_id is None
    assert db.session.execute(select(UserSession)).first() is None
    assert db.session.execute(select(User)).scalar_one().login_count == 0


def test_a_wrong_password_after_a_right_one_keeps_the_first_session(client, user_factory, db):
    user_factory(email="erin@example.com")
    assert login(client, "erin@example.com").status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    assert login(client, "erin@example.com", "wrong-password").status_code == 200
    [session] = db.session.execute(select(UserSession)).scalars()
    erin = db.session.execute(select(User)).scalar_one()
    assert erin.login_count == 1
    assert [a.reason for a in attempts(db)] == ["ok", "bad_credentials"]
    assert session.id == attempts(db)[0].session_id


# The pipeline's order: the hash is checked first, holding no lock; then one short transaction.

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture
def during_checks(app, monkeypatch):
    """The SQL statements each request had run by the end of each password check (the check
    is slowed down, so anything running beside it would have run by then)."""
    from sqlalchemy import event

    from webapp.extensions import db as database
    from webapp.services import passwords

    ran, seen = [], []
    real_check = passwords._check

    def slow_check(*args):
        time.sleep(0.1)
        seen.append(list(ran))
        return real_check(*args)

    def note(conn, cursor, statement, *args):
        ran.append(statement.lstrip().upper())

    with app.app_context():
        engine = database.engine
    event.listen(engine, "before_cursor_execute", note)
    monkeypatch.setattr(passwords, "_check", slow_check)
    yield ran, seen
    event.remove(engine, "before_cursor_execute", note)


@pytest.mark.parametrize("case", ["right", "wrong", "unknown"])
def test_no_lock_is_held_and_nothing_written_while_the_password_is_checked(
    client, user_factory, during_checks, case
):
    from tests.api_helpers import api_login

    ran, seen = during_checks
    user_factory(email="fay@example.com")
    email = "nobody@example.com" if case == "unknown" else "fay@example.com"
    ran.clear()
    response = api_login(client, email, PASSWORD if case == "right" else "wrong-password")
    assert response.status_code == (200 if case == "right" else 400)
    [before_verdict] = seen
    assert before_verdict  # the plain read of step 1
    assert not [s for s in before_verdict if s.startswith(WRITES) or "FOR UPDATE" in s]
    # ... and the locked read and the writes followed, once each (nothing undone and redone)
    assert any(s.startswith("INSERT INTO LOGIN_ATTEMPTS") for s in ran)
    assert sum(s.startswith("INSERT INTO LOGIN_ATTEMPTS") for s in ran) == 1


def test_a_wrong_password_prepares_no_sign_in(client, user_factory, during_checks, db):
    from tests.api_helpers import api_login

    ran, _seen = during_checks
    user_factory(email="gil@example.com")
    ran.clear()
    assert api_login(client, "gil@example.com", "wrong-password").status_code == 400
    assert not [s for s in ran if s.startswith("INSERT INTO USER_SESSIONS")]
    assert not [s for s in ran if s.startswith("INSERT INTO TRUSTED_DEVICES")]
    assert [a.reason for a in attempts(db)] == ["bad_credentials"]
