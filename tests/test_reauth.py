"""Re-authentication: sensitive changes need a recent password, passkey or TOTP check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.api_helpers import BASE, bearer, tokens_for
from tests.helpers import PASSWORD, post_form
from webapp.models import User, UserSession, utcnow

REAUTH_REQUIRED = {"reauth_required": True}


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


def age_sessions(db, user_id: int, minutes: int = 11) -> None:
    """Make every session of a user signed in (and last checked) minutes ago."""
    then = utcnow() - timedelta(minutes=minutes)
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id)
        .values(created_at=then, reauth_at=None)
    )
    db.session.commit()


# ---------------------------------------------------------------- the web pages


# Guarded pages (GET) and forms (POST): a stale session goes to the re-authentication page.
GUARDED_PAGES = ["/account/password", "/account/email", "/account/delete"]
GUARDED_POSTS = [
    "/account/password",
    "/account/email",
    "/account/delete",
    "/account/sessions/revoke-others",
    "/account/mfa/setup",
    "/account/mfa/confirm",
    "/account/mfa/disable",
    "/account/mfa/recovery-codes",
    "/account/phone/confirm",
    "/account/passkeys/add",
    "/account/passkeys/1/remove",
]


@pytest.mark.parametrize("path", GUARDED_PAGES)
def test_a_stale_session_is_asked_again_before_a_sensitive_page(client, actor, db, path):
    me = actor("user").user
    age_sessions(db, me.id)
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.endswith(f"/account/reauth?next={path}")


@pytest.mark.parametrize("path", GUARDED_POSTS)
def test_a_stale_session_cannot_post_a_sensitive_change(client, actor, db, path):
    me = actor("user").user
    age_sessions(db, me.id)
    response = post_form(client, path, {}, token_from="/account/")
    assert response.status_code == 302 and "/account/reauth?next=" in response.location


def test_changing_the_password_after_the_limit_asks_for_the_password_first(client, actor, db):
    me = actor("user").user
    age_sessions(db, me.id)
    asked = client.get("/account/password")
    assert "/account/reauth" in asked.location
    page = client.get(asked.location)
    assert page.status_code == 200 and "Confirm it is you" in page.get_data(as_text=True)
    wrong = post_form(
        client,
        "/account/reauth",
        {"method": "password", "secret": "wrong password", "next": "/account/password"},
    )
    assert wrong.status_code == 400
    assert client.get("/account/password").status_code == 302
    right = post_form(
        client,
        "/account/reauth",
        {"method": "password", "secret": PASSWORD, "next": "/account/password"},
    )
    assert right.status_code == 302 and right.location.endswith("/account/password")
    assert client.get("/account/password").status_code == 200
    changed = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "a-brand-new-passphrase-42",
            "password_repeat": "a-brand-new-passphrase-42",
        },
    )
    assert changed.status_code == 302 and changed.location.endswith("/account/")


def test_a_fresh_sign_in_needs_no_second_check(client, actor):
    actor("user")
    assert client.get("/account/password").status_code == 200


def test_the_limit_is_configurable(app_factory, db):
    app = app_factory(REAUTH_MINUTES=60)
    client = app.test_client()
    from tests.helpers import Actor, make_user

    with app.app_context():
        user = make_user()
    Actor.sign_in(client, "user", user)
    age_sessions(db, user.id, minutes=30)
    assert client.get("/account/password").status_code == 200


def test_the_reauth_page_only_returns_to_this_site(client, actor, db):
    me = actor("user").user
    age_sessions(db, me.id)
    response = post_form(
        client,
        "/account/reauth",
        {"method": "password", "secret": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response.location.endswith("/account/")


def test_admin_bulk_actions_need_a_recent_check(client, actor, user_factory, db):
    admin = actor("admin").user
    target = user_factory()
    age_sessions(db, admin.id)
    refused = post_form(
        client,
        "/admin/admin_users/action/",
        {"action": "deactivate", "rowid": [str(target.id)]},
        token_from="/account/",
        headers={"Referer": "http://localhost/admin/admin_users/"},
    )
    assert refused.status_code == 302
    assert refused.location.endswith("/account/reauth?next=/admin/admin_users/")
    assert db.session.get(User, target.id).is_active is True
    post_form(client, "/account/reauth", {"method": "password", "secret": PASSWORD, "next": "/"})
    done = post_form(
        client,
        "/admin/admin_users/action/",
        {"action": "deactivate", "rowid": [str(target.id)]},
        token_from="/account/",
    )
    assert done.status_code == 302 and "/account/reauth" not in done.location
    db.session.expire_all()
    assert db.session.get(User, target.id).is_active is False


def test_admin_deletions_need_a_recent_check(client, actor, user_factory, db):
    admin = actor("admin").user
    target = user_factory()
    age_sessions(db, admin.id)
    refused = post_form(
        client, "/admin/admin_users/delete/", {"id": str(target.id)}, token_from="/account/"
    )
    assert "/account/reauth" in refused.location
    assert db.session.get(User, target.id) is not None


# ---------------------------------------------------------------- the API


def test_the_api_answers_401_reauth_required_then_accepts_the_password(client, user_factory, db):
    user = user_factory()
    access = tokens_for(client, user)["access"]
    age_sessions(db, user.id)
    refused = client.delete(f"{BASE}/me/", headers=bearer(access))
    assert refused.status_code == 401 and refused.json == REAUTH_REQUIRED
    wrong = client.post(
        f"{BASE}/reauth/", json={"method": "password", "password": "nope"}, headers=bearer(access)
    )
    assert wrong.status_code == 400 and wrong.json == {"error": "Invalid credentials."}
    right = client.post(
        f"{BASE}/reauth/", json={"method": "password", "password": PASSWORD}, headers=bearer(access)
    )
    assert right.status_code == 200
    assert client.delete(f"{BASE}/me/", headers=bearer(access)).status_code == 204
    assert db.session.execute(select(User).where(User.id == user.id)).first() is None


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/mfa/totp/setup/"),
        ("post", "/mfa/totp/confirm/"),
        ("post", "/passkeys/register/begin/"),
        ("post", "/passkeys/register/finish/"),
        ("delete", "/me/"),
    ],
)
def test_sensitive_api_calls_need_a_recent_check(client, user_factory, db, method, path):
    user = user_factory()
    access = tokens_for(client, user)["access"]
    age_sessions(db, user.id)
    response = getattr(client, method)(
        f"{BASE}{path}", json={"code": "123456"}, headers=bearer(access)
    )
    assert response.status_code == 401 and response.json == REAUTH_REQUIRED


def test_reauth_with_a_passkey_through_the_api(client, user_factory, authenticator, db):
    user = user_factory()
    access = tokens_for(client, user)["access"]
    begin = client.post(f"{BASE}/passkeys/register/begin/", headers=bearer(access)).json
    client.post(
        f"{BASE}/passkeys/register/finish/",
        json={"credential": authenticator.create(begin), "name": "key"},
        headers=bearer(access),
    )
    age_sessions(db, user.id)
    begun = client.post(f"{BASE}/passkeys/login/begin/", json={"email": user.email}).json
    response = client.post(
        f"{BASE}/reauth/",
        json={
            "method": "passkey",
            "challenge_id": begun["challenge_id"],
            "credential": authenticator.get(begun["options"]),
        },
        headers=bearer(access),
    )
    assert response.status_code == 200
    assert (
        client.post(f"{BASE}/passkeys/register/begin/", headers=bearer(access)).status_code == 200
    )


def test_reauth_with_totp_through_the_api(client, enrolled, clock, db):
    from tests.api_helpers import api_login

    first = api_login(client, enrolled.user.email).json
    clock.step()
    signed = client.post(
        f"{BASE}/mfa/verify/",
        json={"mfa_token": first["mfa_token"], "method": "totp", "code": enrolled.code(clock.now)},
    ).json
    age_sessions(db, enrolled.user.id)
    access = signed["access"]
    assert client.delete(f"{BASE}/me/", headers=bearer(access)).status_code == 401
    clock.step()
    ok = client.post(
        f"{BASE}/reauth/",
        json={"method": "totp", "code": enrolled.code(clock.now)},
        headers=bearer(access),
    )
    assert ok.status_code == 200
    assert client.delete(f"{BASE}/me/", headers=bearer(access)).status_code == 204


@pytest.mark.parametrize(
    "body",
    [{"method": "magic"}, {"method": "password", "password": ["x"]}, {"method": "totp"}, {}],
)
def test_bad_reauth_input_is_a_clear_400(client, user_factory, body):
    access = tokens_for(client, user_factory())["access"]
    response = client.post(f"{BASE}/reauth/", json=body, headers=bearer(access))
    assert response.status_code == 400
