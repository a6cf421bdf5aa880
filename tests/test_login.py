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


# The pipeline's timing: what is written while the password is checked, and when.

CHECK_SECONDS = 0.3


@pytest.fixture
def slow_checks(monkeypatch):
    """Password checks that take 0.3 s, with fresh duration estimates; returns the moments
    each check ended and each sign-in wrote its rollup rows."""
    from webapp.services import auth, passwords

    real_check, real_count = passwords._check, auth.count_attempt
    moments = {"check_ended": [], "rollups_written": []}

    def slow_check(*args):
        time.sleep(CHECK_SECONDS)
        try:
            return real_check(*args)
        finally:
            moments["check_ended"].append(time.perf_counter())

    def count_attempt(ctx):
        moments["rollups_written"].append(time.perf_counter())
        real_count(ctx)

    monkeypatch.setattr(passwords, "_check", slow_check)
    monkeypatch.setattr(passwords, "CHECKS", passwords.Recent())
    monkeypatch.setattr(auth, "ROLLUP_WRITES", passwords.Recent())
    monkeypatch.setattr(auth, "count_attempt", count_attempt)
    return moments


def _rows_wait(monkeypatch, wait: bool) -> None:
    from webapp.services import auth

    monkeypatch.setattr(auth, "shared_rows_wait", lambda: wait)


def test_a_single_write_lock_takes_the_rollups_while_the_password_is_checked(
    client, user_factory, slow_checks, monkeypatch
):
    _rows_wait(monkeypatch, False)  # SQLite: one write lock, held from the first write anyway
    user_factory(email="fay@example.com")
    assert login(client, "fay@example.com").status_code == 302
    [written], [ended] = slow_checks["rollups_written"], slow_checks["check_ended"]
    assert written < ended


def test_row_locks_take_the_shared_rollups_as_the_check_ends(
    client, user_factory, slow_checks, monkeypatch, db
):
    from webapp.models import LoginStat
    from webapp.services import auth

    _rows_wait(monkeypatch, True)  # a server database: every sign-in shares everyone's rows
    user_factory(email="gil@example.com")
    # Nothing known yet about how long checks and writes take: the rows wait for the verdict.
    assert login(client, "gil@example.com").status_code == 302
    assert slow_checks["rollups_written"][0] >= slow_checks["check_ended"][0]
    # Now the check is known to take 0.3 s: the rows go in 0.1 s before it should end.
    monkeypatch.setattr(auth, "_lead", lambda: 0.1)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    began = time.perf_counter()
    assert login(client, "gil@example.com").status_code == 302
    written, ended = slow_checks["rollups_written"][1], slow_checks["check_ended"][1]
    assert began + 0.1 < written < ended
    # A wrong password undoes them with the rest of the sign-in, and counts one failure.
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    assert login(client, "gil@example.com", "wrong-password").status_code == 200
    assert len(slow_checks["rollups_written"]) == 3  # the speculative write, rolled back
    rows = db.session.execute(select(LoginStat.successes, LoginStat.failures)).all()
    assert sum(r.successes for r in rows) == 4 and sum(r.failures for r in rows) == 2


def test_recent_durations_median():
    from webapp.services.passwords import Recent

    recent = Recent(size=3)
    assert recent.median() is None
    for seconds in (5.0, 1.0, 3.0, 2.0):  # the first falls out
        recent.add(seconds)
    assert recent.median() == 2.0
    recent = Recent()
    recent.add(1.0)
    recent.add(2.0)
    assert recent.median() == 1.5
