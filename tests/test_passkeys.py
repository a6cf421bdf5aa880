"""Passkeys (WebAuthn): recorded ceremonies, the API, the web pages, the counter and its clones."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import InvalidAuthenticationResponse

from tests.api_helpers import BASE, api_login, bearer, tokens_for
from tests.helpers import PASSWORD, csrf_token, post_form
from tests.passkey_helpers import SoftAuthenticator, tampered
from webapp.models import LoginAttempt, OneTimeToken, Passkey, SecurityEvent, User, utcnow
from webapp.services import analytics, passkeys

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "passkeys.json").read_text())
TOKEN_KEYS = {"access", "refresh", "id", "username", "email", "active_role", "role_label"}


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


def _attempts(db):
    rows = db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars()
    return [(a.method, a.reason, a.success) for a in rows]


def _register(client, access: str, authenticator: SoftAuthenticator, name="Laptop"):
    options = client.post(f"{BASE}/passkeys/register/begin/", headers=bearer(access))
    assert options.status_code == 200, options.json
    credential = authenticator.create(options.json)
    return client.post(
        f"{BASE}/passkeys/register/finish/",
        json={"credential": credential, "name": name},
        headers=bearer(access),
    )


@pytest.fixture
def holder(client, user_factory, authenticator):
    """A user with one passkey (added through the API); the API client is signed out after."""
    user = user_factory()
    access = tokens_for(client, user)["access"]
    assert _register(client, access, authenticator).status_code == 201
    client.post(f"{BASE}/logout/", headers=bearer(access))
    client.delete_cookie("access_token_cookie")
    client.delete_cookie("refresh_token_cookie")
    return user


def _login_begin(client, body=None):
    response = client.post(f"{BASE}/passkeys/login/begin/", json=body or {})
    assert response.status_code == 200, response.json
    return response.json


def _login_finish(client, challenge_id, credential):
    return client.post(
        f"{BASE}/passkeys/login/finish/",
        json={"challenge_id": challenge_id, "credential": credential},
    )


# ---------------------------------------------------------------- recorded ceremonies


def test_the_recorded_registration_verifies_with_the_library():
    reg = RECORDED["registration"]
    verified = verify_registration_response(
        credential=reg["credential"],
        expected_challenge=base64url_to_bytes(reg["challenge"]),
        expected_rp_id=RECORDED["rp_id"],
        expected_origin=RECORDED["origin"],
    )
    assert verified.credential_id == base64url_to_bytes(reg["credential"]["id"])
    assert verified.sign_count == 0
    assert verified.fmt == "none"


def test_the_recorded_assertion_verifies_and_a_replayed_counter_does_not():
    reg, auth = RECORDED["registration"], RECORDED["authentication"]
    public_key = verify_registration_response(
        credential=reg["credential"],
        expected_challenge=base64url_to_bytes(reg["challenge"]),
        expected_rp_id=RECORDED["rp_id"],
        expected_origin=RECORDED["origin"],
    ).credential_public_key
    check = dict(
        credential=auth["credential"],
        expected_challenge=base64url_to_bytes(auth["challenge"]),
        expected_rp_id=RECORDED["rp_id"],
        expected_origin=RECORDED["origin"],
        credential_public_key=public_key,
    )
    assert (
        verify_authentication_response(**check, credential_current_sign_count=3).new_sign_count == 7
    )
    with pytest.raises(InvalidAuthenticationResponse):
        verify_authentication_response(**check, credential_current_sign_count=7)
    with pytest.raises(InvalidAuthenticationResponse):  # another origin
        verify_authentication_response(
            **{**check, "expected_origin": "https://evil.example"}, credential_current_sign_count=0
        )


def test_the_service_accepts_the_recorded_ceremonies_and_refuses_their_replay(app, db):
    reg, auth = RECORDED["registration"], RECORDED["authentication"]
    with app.test_request_context():
        user = db.session.get(User, _user(app).id)
        db.session.add(_challenge(passkeys.REGISTER, user.id, reg["challenge"], "reg-id"))
        row, error = passkeys.register(user, reg["credential"], "Recorded")
        assert error == "" and row.sign_count == 0
        db.session.add(_challenge(passkeys.LOGIN, None, auth["challenge"], "auth-id"))
        check = passkeys.verify_assertion("auth-id", auth["credential"])
        assert (check.status, check.user.id, row.sign_count) == ("ok", user.id, 7)
        # The same assertion again: its challenge is used up.
        assert passkeys.verify_assertion("auth-id", auth["credential"]).status == (
            "expired_challenge"
        )
        db.session.add(_challenge(passkeys.LOGIN, None, auth["challenge"], "auth-id-2"))
        check = passkeys.verify_assertion("auth-id-2", auth["credential"])
        assert check.status == "counter_regressed"  # a counter that did not move: a clone
        db.session.commit()


def _user(app):
    from tests.helpers import make_user

    return make_user()


def _challenge(purpose: str, user_id, challenge: str, challenge_id: str) -> OneTimeToken:
    import hashlib

    now = utcnow()
    return OneTimeToken(
        purpose=purpose,
        user_id=user_id,
        secret_hash=hashlib.sha256(challenge_id.encode()).hexdigest(),
        payload=challenge,
        created_at=now,
        expires_at=now + timedelta(minutes=5),
    )


# ---------------------------------------------------------------- managing (API)


def test_register_list_rename_and_delete_through_the_api(client, user_factory, authenticator, db):
    user = user_factory()
    access = tokens_for(client, user)["access"]
    options = client.post(f"{BASE}/passkeys/register/begin/", headers=bearer(access)).json
    assert options["rp"] == {"id": "localhost", "name": "Doorman"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    created = client.post(
        f"{BASE}/passkeys/register/finish/",
        json={"credential": authenticator.create(options), "name": "  My   phone "},
        headers=bearer(access),
    )
    assert created.status_code == 201
    assert set(created.json) == {"id", "name", "created_at"} and created.json["name"] == "My phone"
    listed = client.get(f"{BASE}/passkeys/", headers=bearer(access)).json
    assert [(p["name"], p["last_used_at"]) for p in listed] == [("My phone", None)]
    pid = listed[0]["id"]
    renamed = client.patch(f"{BASE}/passkeys/{pid}/", json={"name": "Work"}, headers=bearer(access))
    assert renamed.status_code == 200 and renamed.json["name"] == "Work"
    wrong = client.delete(
        f"{BASE}/passkeys/{pid}/", json={"password": "nope"}, headers=bearer(access)
    )
    assert wrong.status_code == 400 and wrong.json == {"password": ["Password is incorrect."]}
    gone = client.delete(
        f"{BASE}/passkeys/{pid}/", json={"password": PASSWORD}, headers=bearer(access)
    )
    assert gone.status_code == 204
    assert client.get(f"{BASE}/passkeys/", headers=bearer(access)).json == []
    assert client.get(f"{BASE}/mfa/", headers=bearer(access)).json["passkeys"] == 0


def test_a_registration_answers_only_its_own_live_challenge(client, user_factory, authenticator):
    user = user_factory()
    access = tokens_for(client, user)["access"]
    options = client.post(f"{BASE}/passkeys/register/begin/", headers=bearer(access)).json
    forged = authenticator.create({**options, "challenge": "AAAAAAAAAAAAAAAAAAAAAA"})
    refused = client.post(
        f"{BASE}/passkeys/register/finish/",
        json={"credential": forged, "name": "x"},
        headers=bearer(access),
    )
    assert refused.status_code == 400 and refused.json == {
        "error": "This request expired. Try again."
    }
    other = SoftAuthenticator(origin="https://evil.example")
    refused = client.post(
        f"{BASE}/passkeys/register/finish/",
        json={"credential": other.create(options), "name": "x"},
        headers=bearer(access),
    )
    assert refused.json == {"error": "The passkey could not be verified."}


def test_someone_elses_passkey_is_not_found(client, holder, user_factory, db):
    pid = db.session.execute(select(Passkey.id)).scalar_one()
    access = tokens_for(client, user_factory())["access"]
    for method in ("patch", "delete"):
        response = getattr(client, method)(
            f"{BASE}/passkeys/{pid}/",
            json={"name": "mine", "password": PASSWORD},
            headers=bearer(access),
        )
        assert response.status_code == 404
    assert db.session.scalar(select(Passkey.name)) == "Laptop"


@pytest.mark.parametrize(
    "body",
    [
        {"credential": "not an object", "name": "x"},
        {"credential": {}, "name": "x"},
        {"credential": {"id": 1, "response": []}, "name": "x"},
        {"credential": {"id": "x", "response": {"clientDataJSON": "%%%"}}, "name": "x"},
        {"credential": {"id": "x" * 20_000}, "name": "x"},
        {"credential": {"id": "x"}, "name": ["x"]},
    ],
)
def test_bad_registration_input_is_a_clear_400(client, user_factory, body):
    access = tokens_for(client, user_factory())["access"]
    client.post(f"{BASE}/passkeys/register/begin/", headers=bearer(access))
    response = client.post(f"{BASE}/passkeys/register/finish/", json=body, headers=bearer(access))
    assert response.status_code == 400


# ---------------------------------------------------------------- signing in (API)


def test_a_usernameless_passkey_sign_in_needs_no_second_factor(client, holder, authenticator, db):
    begun = _login_begin(client)
    assert begun["options"]["allowCredentials"] == []  # discoverable: the browser offers them
    response = _login_finish(client, begun["challenge_id"], authenticator.get(begun["options"]))
    assert response.status_code == 200, response.json
    assert set(response.json) >= TOKEN_KEYS and response.json["email"] == holder.email
    assert "access_token_cookie" in response.headers.get("Set-Cookie", "")
    assert _attempts(db)[-1] == ("passkey", "ok", True)
    row = db.session.execute(select(Passkey)).scalar_one()
    assert row.sign_count == 1 and row.last_used_at is not None


def test_a_counter_that_goes_back_is_refused_and_recorded_as_a_clone(
    client, holder, authenticator, db
):
    begun = _login_begin(client)
    assert (
        _login_finish(
            client, begun["challenge_id"], authenticator.get(begun["options"], count=5)
        ).status_code
        == 200
    )
    client.post(f"{BASE}/logout/")
    begun = _login_begin(client)
    response = _login_finish(
        client, begun["challenge_id"], authenticator.get(begun["options"], count=3)
    )
    assert response.status_code == 400 and response.json == {"error": "Invalid passkey."}
    assert _attempts(db)[-1] == ("passkey", "counter_regressed", False)
    event = db.session.execute(select(SecurityEvent)).scalar_one()
    assert (event.kind, event.user_id) == ("passkey_clone", holder.id)
    assert db.session.scalar(select(Passkey.sign_count)) == 5


@pytest.mark.parametrize("case", ["bad_signature", "unknown_credential", "expired_challenge"])
def test_refused_passkey_sign_ins_are_recorded_with_their_reason(
    client, holder, authenticator, db, case
):
    begun = _login_begin(client)
    credential = authenticator.get(begun["options"])
    if case == "bad_signature":
        credential = tampered(credential)
    elif case == "unknown_credential":
        stranger = SoftAuthenticator()
        stranger.create({"challenge": "AA", "user": {"id": "AA"}})
        credential = stranger.get(begun["options"])
    else:
        _login_finish(client, begun["challenge_id"], tampered(credential))  # uses the challenge
    response = _login_finish(client, begun["challenge_id"], credential)
    assert response.status_code == 400
    assert _attempts(db)[-1][:2] == ("passkey", case)
    assert db.session.execute(select(SecurityEvent)).first() is None


def test_a_deactivated_account_cannot_sign_in_with_its_passkey(client, holder, authenticator, db):
    user = db.session.get(User, holder.id)
    user.is_active = False
    db.session.commit()
    begun = _login_begin(client)
    response = _login_finish(client, begun["challenge_id"], authenticator.get(begun["options"]))
    assert response.status_code == 400
    assert _attempts(db)[-1] == ("passkey", "inactive", False)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"challenge_id": "x"},
        {"challenge_id": "x", "credential": "nope"},
        {"challenge_id": ["x"], "credential": {"id": "x"}},
        {"challenge_id": "x", "credential": {"id": "x"}},
        {"challenge_id": "x" * 500, "credential": {"id": "x"}},
    ],
)
def test_bad_sign_in_input_is_a_clear_400_and_recorded(client, body, db):
    response = client.post(f"{BASE}/passkeys/login/finish/", json=body)
    assert response.status_code == 400
    assert _attempts(db)[-1][0] == "passkey"


# ---------------------------------------------------------------- second factor (API)


def test_a_password_sign_in_of_an_account_with_a_passkey_asks_for_it(
    client, holder, authenticator, db
):
    first = api_login(client, holder.email)
    assert first.json["mfa_required"] is True and "passkey" in first.json["methods"]
    begun = _login_begin(client, {"mfa_token": first.json["mfa_token"]})
    assert len(begun["options"]["allowCredentials"]) == 1
    response = client.post(
        f"{BASE}/mfa/verify/",
        json={
            "mfa_token": first.json["mfa_token"],
            "method": "passkey",
            "challenge_id": begun["challenge_id"],
            "credential": authenticator.get(begun["options"]),
        },
    )
    assert response.status_code == 200, response.json
    assert set(response.json) >= TOKEN_KEYS
    assert _attempts(db)[-2:] == [("api_token", "mfa_required", False), ("passkey", "ok", True)]


def test_the_second_step_refuses_another_accounts_passkey(
    client, holder, user_factory, authenticator, db
):
    other = user_factory()
    other_key = SoftAuthenticator()
    access = tokens_for(client, other)["access"]
    assert _register(client, access, other_key).status_code == 201
    client.post(f"{BASE}/logout/", headers=bearer(access))
    first = api_login(client, holder.email).json
    begun = _login_begin(client, {"email": other.email})
    response = client.post(
        f"{BASE}/mfa/verify/",
        json={
            "mfa_token": first["mfa_token"],
            "method": "passkey",
            "challenge_id": begun["challenge_id"],
            "credential": other_key.get(begun["options"]),
        },
    )
    assert response.status_code == 400 and response.json == {"error": "Invalid code."}
    assert _attempts(db)[-1] == ("passkey", "unknown_credential", False)


def test_the_method_breakdown_counts_passkeys(client, holder, authenticator, app, db):
    begun = _login_begin(client)
    _login_finish(client, begun["challenge_id"], authenticator.get(begun["options"]))
    begun = _login_begin(client)
    _login_finish(client, begun["challenge_id"], tampered(authenticator.get(begun["options"])))
    with app.test_request_context():
        today = utcnow().date()
        window = analytics.Window(
            today - timedelta(days=1), today + timedelta(days=1), ZoneInfo("UTC")
        )
        rows = {r["method"]: r for r in analytics.methods(analytics.EVERYONE, window)}
    assert (rows["passkey"]["successes"], rows["passkey"]["failures"]) == (1, 1)


# ---------------------------------------------------------------- the web pages


def _json_post(client, path: str, token_page: str):
    return client.post(path, json={}, headers={"X-CSRFToken": csrf_token(client, token_page)})


def test_add_rename_and_remove_a_passkey_on_the_account_page(client, actor, authenticator, db):
    me = actor("user").user
    page = client.get("/account/passkeys")
    assert page.status_code == 200 and "You have no passkeys yet." in page.get_data(as_text=True)
    options = _json_post(client, "/account/passkeys/options", "/account/passkeys").json
    added = post_form(
        client,
        "/account/passkeys/add",
        {
            "name": "Desk key",
            "challenge_id": options["challenge_id"],
            "credential": json.dumps(authenticator.create(options["options"])),
        },
        token_from="/account/passkeys",
    )
    assert added.status_code == 302
    html = client.get("/account/passkeys").get_data(as_text=True)
    assert 'value="Desk key"' in html and "never" in html
    pid = db.session.scalar(select(Passkey.id).where(Passkey.user_id == me.id))
    renamed = post_form(
        client,
        f"/account/passkeys/{pid}/rename",
        {f"p{pid}-name": "Desk"},
        token_from="/account/passkeys",
    )
    assert renamed.status_code == 302 and db.session.scalar(select(Passkey.name)) == "Desk"
    removed = post_form(
        client, f"/account/passkeys/{pid}/remove", {}, token_from="/account/passkeys"
    )
    assert removed.status_code == 302
    assert db.session.execute(select(Passkey)).first() is None


def test_the_login_page_signs_in_with_a_passkey_usernameless(client, holder, authenticator, db):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'autocomplete="username webauthn"' in html and "/static/js/passkeys." in html
    options = _json_post(client, "/auth/passkey/options", "/auth/login").json
    response = post_form(
        client,
        "/auth/passkey/login",
        {
            "challenge_id": options["challenge_id"],
            "credential": json.dumps(authenticator.get(options["options"])),
        },
        token_from="/auth/login",
    )
    assert response.status_code == 302 and response.location.endswith("/dashboard/")
    assert client.get("/account/").status_code == 200
    assert _attempts(db)[-1] == ("passkey", "ok", True)


def test_the_second_step_page_takes_a_passkey(client, holder, authenticator, db):
    first = post_form(client, "/auth/login", {"email": holder.email, "password": PASSWORD})
    assert first.location.endswith("/auth/mfa")
    assert 'id="mfa-passkey-form"' in client.get("/auth/mfa").get_data(as_text=True)
    options = _json_post(client, "/auth/mfa/passkey/options", "/auth/mfa").json
    response = post_form(
        client,
        "/auth/mfa/passkey",
        {
            "challenge_id": options["challenge_id"],
            "credential": json.dumps(authenticator.get(options["options"])),
        },
        token_from="/auth/mfa",
    )
    assert response.status_code == 302 and response.location.endswith("/dashboard/")
    assert _attempts(db)[-1] == ("passkey", "ok", True)


def test_a_wrong_passkey_on_the_login_page_is_refused_and_recorded(
    client, holder, authenticator, db
):
    options = _json_post(client, "/auth/passkey/options", "/auth/login").json
    response = post_form(
        client,
        "/auth/passkey/login",
        {
            "challenge_id": options["challenge_id"],
            "credential": json.dumps(tampered(authenticator.get(options["options"]))),
        },
        token_from="/auth/login",
    )
    assert response.status_code == 302 and response.location.endswith("/auth/login")
    assert client.get("/account/").status_code == 302
    assert _attempts(db)[-1] == ("passkey", "bad_signature", False)
    assert "That passkey cannot sign in here." in client.get("/auth/login").get_data(as_text=True)


# ---------------------------------------------------------------- access (API)

API_ROLES = [None, "user", "staff", "admin"]
# (method, path) -> status per role (anonymous, user, staff, admin), with an empty body.
API_MATRIX = {
    ("post", "/passkeys/register/begin/"): (401, 200, 200, 200),
    ("post", "/passkeys/register/finish/"): (401, 400, 400, 400),
    ("get", "/passkeys/"): (401, 200, 200, 200),
    ("patch", "/passkeys/999/"): (401, 404, 404, 404),
    ("delete", "/passkeys/999/"): (401, 404, 404, 404),
    ("post", "/passkeys/login/begin/"): (200, 200, 200, 200),
    ("post", "/passkeys/login/finish/"): (400, 400, 400, 400),
    ("post", "/reauth/"): (401, 400, 400, 400),
}
API_CASES = [
    (method, path, role, codes[i])
    for (method, path), codes in API_MATRIX.items()
    for i, role in enumerate(API_ROLES)
]


@pytest.mark.parametrize("method, path, role, expected", API_CASES)
def test_api_access(client, user_factory, method, path, role, expected):
    headers = {}
    if role is not None:
        headers = bearer(tokens_for(client, user_factory(role=role))["access"])
    response = getattr(client, method)(f"{BASE}{path}", json={}, headers=headers)
    assert response.status_code == expected
