"""API auth endpoints: contract bodies and statuses, tokens, cookies, CSRF, rotation."""

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from tests.api_helpers import BASE, api_login, bearer, tokens_for
from tests.conftest import extract
from tests.helpers import PASSWORD
from webapp.models import LoginAttempt, User, UserSession

GENERIC = {"non_field_errors": ["no_active_account"]}


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


def test_token_success_body_and_cookies(client, user_factory, db):
    user = user_factory(email="api@example.com", username="apiuser")
    r = api_login(client, "API@example.com")
    assert r.status_code == 200
    body = r.json
    assert set(body) >= {
        "access",
        "refresh",
        "id",
        "username",
        "email",
        "email_verified",
        "is_staff",
        "is_superuser",
        "staff_access_granted",
        "logins_remaining_for_staff",
        "active_role",
        "role_label",
    }
    assert body["id"] == user.id and body["email_verified"] is True
    assert body["is_staff"] is False and body["is_superuser"] is False
    assert body["active_role"] == "regular" and body["logins_remaining_for_staff"] == 0
    cookies = r.headers.getlist("Set-Cookie")
    assert any(c.startswith("access_token_cookie=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("refresh_token_cookie=") and "HttpOnly" in c for c in cookies)
    [attempt] = db.session.execute(select(LoginAttempt)).scalars().all()
    assert (attempt.method, attempt.reason, attempt.success) == ("api_token", "ok", True)
    assert db.session.execute(select(UserSession)).scalar_one().kind == "api"


@pytest.mark.parametrize(
    "payload, body",
    [
        ({"email": "", "password": "x"}, {"email": ["email_required"]}),
        ({"email": "nope", "password": "x"}, {"email": ["email_invalid"]}),
        ({"email": "a@example.com", "password": ""}, {"password": ["password_required"]}),
        (
            {"email": "a@example.com", "encrypted_password": "zz" * 256},
            {"encrypted_password": ["Invalid encrypted password."]},
        ),
        (
            {"email": "a@example.com", "encrypted_password": "00"},
            {"encrypted_password": ["Invalid encrypted password."]},
        ),
        ({"email": 5, "password": "x"}, {"email": ["Must be a string."]}),
    ],
)
def test_token_field_errors(client, db, payload, body):
    r = client.post(f"{BASE}/token/", json=payload)
    assert r.status_code == 400 and r.json == body
    [attempt] = db.session.execute(select(LoginAttempt)).scalars().all()
    assert attempt.reason == "invalid_input" and attempt.method == "api_token"


@pytest.mark.parametrize("case", ["unknown", "wrong", "inactive"])
def test_token_generic_failure(client, user_factory, case):
    user_factory(email="g@example.com", active=case != "inactive")
    email = "nobody@example.com" if case == "unknown" else "g@example.com"
    password = "wrong-password" if case == "wrong" else PASSWORD
    r = api_login(client, email, password)
    assert r.status_code == 400 and r.json == GENERIC


def test_token_unverified(client, user_factory):
    user_factory(email="u@example.com", verified=False)
    r = api_login(client, "u@example.com")
    assert r.status_code == 400 and r.json == {"detail": ["email_not_verified"]}


def test_lockout_is_429_from_the_sixth(client, user_factory, db):
    user_factory(email="l@example.com")
    codes = [api_login(client, "l@example.com", "bad-password").status_code for _ in range(6)]
    assert codes == [400] * 5 + [429]
    r = api_login(client, "l@example.com")
    assert r.status_code == 429 and r.json["retry_after"] > 0 and "detail" in r.json
    assert int(r.headers["Retry-After"]) == r.json["retry_after"]
    assert db.session.execute(select(LoginAttempt)).scalars().all()[-1].reason == "locked"


def test_rate_limit_429_body(app_factory, user_factory):
    app = app_factory()
    client = app.test_client()
    codes = [api_login(client, f"x{i}@example.com", "pw").status_code for i in range(11)]
    assert codes[-1] == 429
    r = api_login(client, "y@example.com", "pw")
    assert set(r.json) == {"detail", "retry_after"} and r.headers["Retry-After"]


def test_encrypted_password_login(client, user_factory):
    user_factory(email="enc@example.com")
    pem = client.get(f"{BASE}/public-key/").json["public_key"]
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    key = serialization.load_pem_public_key(pem.encode())
    assert key.key_size == 2048
    ciphertext = key.encrypt(
        PASSWORD.encode(),
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    r = client.post(
        f"{BASE}/token/", json={"email": "enc@example.com", "encrypted_password": ciphertext.hex()}
    )
    assert r.status_code == 200 and len(ciphertext.hex()) == 512


def test_private_key_is_kept_private(app, client):
    client.get(f"{BASE}/public-key/")
    import os

    path = os.path.join(app.instance_path, "rsa_private.pem")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("scheme", ["Bearer", "JWT"])
def test_both_header_schemes(client, user_factory, scheme):
    user = user_factory()
    access = tokens_for(client, user)["access"]
    other = client.application.test_client()
    r = other.get(f"{BASE}/me/", headers=bearer(access, scheme))
    assert r.status_code == 200 and r.json["id"] == user.id


def _forge(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    claims = json.loads(base64.urlsafe_b64decode(pad(payload)))
    claims.update(changes)
    new = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{new}.{signature}"


def _alg_none(token: str) -> str:
    _, payload, _ = token.split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{header}.{payload}."


@pytest.mark.parametrize("mangle", ["garbage", "signature", "alg_none", "other_user", "refresh"])
def test_bad_tokens_get_the_one_401_body(app, user_factory, mangle):
    user = user_factory()
    user_factory()
    client = app.test_client()
    pair = tokens_for(client, user)
    token = {
        "garbage": "not.a.token",
        "signature": pair["access"][:-4]
        + ("AAAA" if not pair["access"].endswith("AAAA") else "BBBB"),
        "alg_none": _alg_none(pair["access"]),
        "other_user": _forge(pair["access"], sub=str(user.id + 1)),
        "refresh": pair["refresh"],
    }[mangle]
    fresh = app.test_client()
    r = fresh.get(f"{BASE}/me/", headers=bearer(token))
    assert r.status_code == 401 and r.json == {"message": "Token is invalid or expired"}


def test_expired_token(app_factory, user_factory):
    app = app_factory(JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=1), RATELIMIT_ENABLED=False)
    client = app.test_client()
    with app.app_context():
        from tests.helpers import make_user

        user = make_user()
    access = tokens_for(client, user)["access"]
    time.sleep(2)
    r = app.test_client().get(f"{BASE}/me/", headers=bearer(access))
    assert r.status_code == 401 and r.json == {"message": "Token is invalid or expired"}


def test_missing_token(client):
    r = client.get(f"{BASE}/me/")
    assert r.status_code == 401 and r.json == {"message": "Token is invalid or expired"}


def test_token_of_a_deleted_user(app, client, user_factory, db):
    user = user_factory()
    access = tokens_for(client, user)["access"]
    db.session.delete(db.session.get(User, user.id))
    db.session.commit()
    r = app.test_client().get(f"{BASE}/me/", headers=bearer(access))
    assert r.status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_session(app_factory, user_factory):
    app = app_factory(RATELIMIT_ENABLED=False, REFRESH_REUSE_GRACE_SECONDS=0)
    client = app.test_client()
    user = user_factory()
    first = tokens_for(client, user)
    api = app.test_client()
    r = api.post(f"{BASE}/token/refresh/", json={"refresh": first["refresh"]})
    assert r.status_code == 200 and set(r.json) == {"access", "refresh"}
    second = r.json
    assert second["refresh"] != first["refresh"]
    assert api.get(f"{BASE}/me/", headers=bearer(second["access"])).status_code == 200
    reuse = api.post(f"{BASE}/token/refresh/", json={"refresh": first["refresh"]})
    assert reuse.status_code == 401
    # The whole family is dead now, including the tokens the rotation handed out.
    assert api.get(f"{BASE}/me/", headers=bearer(second["access"])).status_code == 401
    assert (
        api.post(f"{BASE}/token/refresh/", json={"refresh": second["refresh"]}).status_code == 401
    )


def test_refreshes_are_not_attempts(app, client, user_factory, db):
    user = user_factory()
    pair = tokens_for(client, user)
    app.test_client().post(f"{BASE}/token/refresh/", json={"refresh": pair["refresh"]})
    assert len(db.session.execute(select(LoginAttempt)).all()) == 1


def test_ten_parallel_refreshes_with_one_token_all_succeed(app, user_factory):
    """A single-page app refreshes once per failed request: all ten get a working pair."""
    user = user_factory()
    pair = tokens_for(app.test_client(), user)

    def refresh(_):
        return app.test_client().post(f"{BASE}/token/refresh/", json={"refresh": pair["refresh"]})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(refresh, range(10)))
    assert [r.status_code for r in answers] == [200] * 10
    api = app.test_client()
    for r in answers:  # the session is alive, and every answer holds a usable pair
        assert api.get(f"{BASE}/me/", headers=bearer(r.json["access"])).status_code == 200
    again = api.post(f"{BASE}/token/refresh/", json={"refresh": answers[-1].json["refresh"]})
    assert again.status_code == 200
    assert api.get(f"{BASE}/me/", headers=bearer(again.json["access"])).status_code == 200


def test_cookie_auth_needs_the_csrf_header_on_unsafe_methods(client, user_factory):
    user = user_factory()
    tokens_for(client, user)  # sets the cookies on this client
    assert client.get(f"{BASE}/me/").status_code == 200  # GET needs no CSRF header
    r = client.post(f"{BASE}/logout/", json={})
    assert r.status_code == 401 and r.json == {"message": "Token is invalid or expired"}
    csrf = client.get_cookie("csrf_access_token").value
    r = client.post(f"{BASE}/logout/", json={}, headers={"X-CSRF-TOKEN": csrf})
    assert r.status_code == 200 and r.json == {"message": "logout_Success"}
    assert client.get(f"{BASE}/me/").status_code == 401


def test_logout_revokes_header_tokens(app, client, user_factory):
    user = user_factory()
    pair = tokens_for(client, user)
    api = app.test_client()
    assert api.post(f"{BASE}/logout/", headers=bearer(pair["access"])).status_code == 200
    assert api.get(f"{BASE}/me/", headers=bearer(pair["access"])).status_code == 401
    assert api.post(f"{BASE}/logout/", headers=bearer(pair["access"])).status_code == 401


def test_web_login_sets_cookies_and_logout_clears_them(app, user_factory):
    from tests.helpers import login, post_form

    user = user_factory()
    web = app.test_client()
    login(web, user.email)
    assert web.get(f"{BASE}/me/").json["id"] == user.id
    post_form(web, "/auth/logout", {}, token_from="/account/")
    assert web.get_cookie("access_token_cookie") is None
    assert web.get(f"{BASE}/me/").status_code == 401


def test_password_change_revokes_api_tokens(app, client, user_factory):
    from tests.helpers import login, post_form

    user = user_factory()
    pair = tokens_for(app.test_client(), user)
    login(client, user.email)
    post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "another-long-secret-1",
            "password_repeat": "another-long-secret-1",
        },
    )
    assert app.test_client().get(f"{BASE}/me/", headers=bearer(pair["access"])).status_code == 401


def test_create_verify_resend_reset_flow(app, client, outbox, db):
    r = client.post(
        f"{BASE}/create/",
        json={
            "username": "newbie",
            "email": "newbie@example.com",
            "password": "a-fine-long-secret",
            "passwordRepeat": "a-fine-long-secret",
        },
    )
    assert r.status_code == 201
    assert r.json == {
        "id": r.json["id"],
        "username": "newbie",
        "email": "newbie@example.com",
        "image": None,
    }
    assert api_login(client, "newbie@example.com", "a-fine-long-secret").json == {
        "detail": ["email_not_verified"]
    }
    bad = client.post(
        f"{BASE}/verify-email/", json={"email": "newbie@example.com", "token": "000000"}
    )
    code = extract(r"\): (\d{6})", outbox[-1].body)
    if code == "000000":
        pytest.skip("the random code happened to be 000000")
    assert bad.status_code == 400 and bad.json == {"error": "Invalid verification token."}
    r = client.post(f"{BASE}/resend-verification/", json={"email": "newbie@example.com"})
    assert r.status_code == 200
    code = extract(r"\): (\d{6})", outbox[-1].body)
    r = client.post(f"{BASE}/verify-email/", json={"email": "newbie@example.com", "token": code})
    assert r.json == {"message": "Email verified successfully. You can now log in."}
    r = client.post(f"{BASE}/verify-email/", json={"email": "newbie@example.com", "token": code})
    assert r.json == {"message": "Email is already verified.", "already_verified": True}
    r = client.post(f"{BASE}/resend-verification/", json={"email": "newbie@example.com"})
    assert r.json == {"message": "Email is already verified."}
    for email in ("newbie@example.com", "ghost@example.com"):
        r = client.post(f"{BASE}/password-reset/", json={"email": email})
        assert r.status_code == 200 and r.json == {
            "message": "If an account exists with this email, a password reset email has been sent."
        }
    token = extract(r"/auth/reset/(\S+)", outbox[-1].body)
    weak = client.post(
        f"{BASE}/reset-password/{token}/",
        json={"password": "12345678", "passwordRepeat": "12345678"},
    )
    assert weak.status_code == 400 and "password" in weak.json
    r = client.post(
        f"{BASE}/reset-password/{token}/",
        json={"password": "brand-new-secret-9", "passwordRepeat": "brand-new-secret-9"},
    )
    assert r.json == {
        "message": "Password reset successful. You can now login with your new password."
    }
    again = client.post(
        f"{BASE}/reset-password/{token}/",
        json={"password": "brand-new-secret-9", "passwordRepeat": "brand-new-secret-9"},
    )
    assert again.status_code == 400 and again.json == {
        "error": "Invalid or expired password reset token."
    }


def test_verify_email_link_token_and_expiry(client, outbox, db):
    client.post(
        f"{BASE}/create/",
        json={
            "username": "linker",
            "email": "link@example.com",
            "password": "a-fine-long-secret",
            "passwordRepeat": "a-fine-long-secret",
        },
    )
    from webapp.models import OneTimeToken, utcnow

    token = extract(r"/auth/verify/(\S+)", outbox[-1].body)
    for row in db.session.execute(select(OneTimeToken)).scalars():
        row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = client.post(f"{BASE}/verify-email/", json={"email": "link@example.com", "token": token})
    assert r.status_code == 400 and r.json == {
        "error": "Verification token has expired. Please request a new one.",
        "expired": True,
    }


@pytest.mark.parametrize(
    "payload, field, message",
    [
        (
            {"username": "", "email": "a@example.com", "password": "x", "passwordRepeat": "x"},
            "username",
            "Username cannot be null",
        ),
        (
            {"username": "abc", "email": "a@example.com", "password": "x", "passwordRepeat": "x"},
            "username",
            "Must have min 4 and max 32 characters",
        ),
        (
            {"username": "abcd", "email": "", "password": "x", "passwordRepeat": "x"},
            "email",
            "E-mail cannot be null",
        ),
        (
            {"username": "abcd", "email": "bad", "password": "x", "passwordRepeat": "x"},
            "email",
            "E-mail is not valid",
        ),
        (
            {"username": "abcd", "email": "a@example.com", "password": "", "passwordRepeat": "x"},
            "password",
            "Password cannot be null",
        ),
        (
            {
                "username": "abcd",
                "email": "a@example.com",
                "password": "short",
                "passwordRepeat": "x",
            },
            "password",
            "Password must have at least 8 characters",
        ),
        (
            {
                "username": "abcd",
                "email": "a@example.com",
                "password": "a-fine-long-secret",
                "passwordRepeat": "",
            },
            "passwordRepeat",
            "password_repeat_null",
        ),
        (
            {
                "username": "abcd",
                "email": "a@example.com",
                "password": "a-fine-long-secret",
                "passwordRepeat": "other",
            },
            "passwordRepeat",
            "password_mismatch",
        ),
    ],
)
def test_create_errors(client, db, payload, field, message):
    r = client.post(f"{BASE}/create/", json=payload)
    assert r.status_code == 400 and r.json[field] == [message]
    assert db.session.execute(select(User)).first() is None


def test_create_duplicates(client, user_factory):
    user_factory(email="dup@example.com", username="dupname")
    r = client.post(
        f"{BASE}/create/",
        json={
            "username": "dupname",
            "email": "dup@example.com",
            "password": "a-fine-long-secret",
            "passwordRepeat": "a-fine-long-secret",
        },
    )
    assert r.json["username"] == ["Username already exists"] and r.json["email"] == [
        "E-mail in use"
    ]


@pytest.mark.parametrize("payload", [{"email": ""}, {"email": "bad"}])
def test_email_endpoints_field_errors(client, payload):
    for path in ("resend-verification/", "password-reset/"):
        r = client.post(f"{BASE}/{path}", json=payload)
        expected = "email_required" if payload["email"] == "" else "email_invalid"
        assert r.status_code == 400 and r.json == {"email": [expected]}


def test_switch_role(client, user_factory):
    admin = user_factory(role="admin")
    access = tokens_for(client, admin)["access"]
    h = bearer(access)
    r = client.post(f"{BASE}/switch-role/", json={"role": "regular"}, headers=h)
    assert r.json == {"active_role": "regular", "role_label": "Regular user"}
    assert client.get(f"{BASE}/users/", headers=h).status_code == 403  # the token in hand follows
    r = client.post(f"{BASE}/switch-role/", json={"role": "superuser"}, headers=h)
    assert r.json["active_role"] == "superuser"
    assert client.post(f"{BASE}/switch-role/", json={"role": "boss"}, headers=h).status_code == 400
    regular = user_factory()
    rh = bearer(tokens_for(client, regular)["access"])
    r = client.post(f"{BASE}/switch-role/", json={"role": "staff"}, headers=rh)
    assert r.status_code == 403 and "error" in r.json


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "{not json", "content_type": "application/json"},
        {"data": "[1, 2]", "content_type": "application/json"},
        {"data": "email=a@example.com", "content_type": "text/plain"},
    ],
)
def test_malformed_bodies(client, kwargs):
    r = client.post(f"{BASE}/create/", **kwargs)
    assert r.status_code == 400 and "error" in r.json


def test_huge_body_is_413_json(client):
    r = client.post(
        f"{BASE}/create/", data="x" * (5 * 1024 * 1024), content_type="application/json"
    )
    assert r.status_code == 413 and r.is_json
