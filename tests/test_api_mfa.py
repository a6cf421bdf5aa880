"""Second factors and passwordless sign-in through the JSON API (API.md, wave 2)."""

from __future__ import annotations

import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
from sqlalchemy import select

from tests.api_helpers import BASE, api_login, bearer, tokens_for
from tests.helpers import PASSWORD
from tests.mfa_helpers import enrol
from webapp.models import LoginAttempt, User
from webapp.services import mfa

INVALID_TOKEN = {"message": "Token is invalid or expired"}
TOKEN_KEYS = {"access", "refresh", "id", "username", "email", "active_role", "role_label"}


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


def _verify(client, token, code, method="totp", **extra):
    body = {"mfa_token": token, "method": method, "code": code, **extra}
    return client.post(f"{BASE}/mfa/verify/", json=body)


def _reasons(db):
    rows = db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars()
    return [(a.method, a.reason) for a in rows]


# ---------------------------------------------------------------- signing in


def test_token_for_an_account_with_totp_answers_mfa_required_without_cookies(client, enrolled, db):
    r = api_login(client, enrolled.user.email)
    assert r.status_code == 200
    assert set(r.json) == {"mfa_required", "mfa_token", "methods"}
    assert r.json["mfa_required"] is True
    assert r.json["methods"] == ["totp", "recovery_code", "email_code"]
    assert "Set-Cookie" not in r.headers
    assert _reasons(db) == [("api_token", "mfa_required")]


def test_verify_signs_in_with_the_token_body_and_cookies(client, enrolled, clock, db):
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    r = _verify(client, token, enrolled.code(clock.now))
    assert r.status_code == 200 and set(r.json) >= TOKEN_KEYS
    assert any("access_token_cookie" in c for c in r.headers.getlist("Set-Cookie"))
    me = client.get(f"{BASE}/me/", headers=bearer(r.json["access"]))
    assert me.status_code == 200 and me.json["id"] == enrolled.user.id
    assert _reasons(db) == [("api_token", "mfa_required"), ("totp", "ok")]
    # Single use: the token is spent.
    assert _verify(client, token, enrolled.code(clock.now + 30)).json == INVALID_TOKEN


def test_wrong_replayed_and_ended(client, enrolled, clock, db):
    code = enrolled.code(clock.now)
    first = api_login(client, enrolled.user.email).json["mfa_token"]
    assert _verify(client, first, code).status_code == 200
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    r = _verify(client, token, code)
    assert (r.status_code, r.json) == (400, {"error": "Code already used."})
    for _ in range(4):
        r = _verify(client, token, "000000" if code != "000000" else "111111")
        assert (r.status_code, r.json) == (400, {"error": "Invalid code."})
    r = _verify(client, token, enrolled.code(clock.now + 30))
    assert (r.status_code, r.json) == (401, INVALID_TOKEN)
    assert [reason for _, reason in _reasons(db)][-6:] == [
        "replayed_code",
        "bad_code",
        "bad_code",
        "bad_code",
        "bad_code",
        "expired_code",
    ]


def test_a_locked_email_refuses_the_second_step_with_429(app_factory, user_factory, clock):
    app = app_factory(RATELIMIT_ENABLED=False, LOCKOUT_THRESHOLD=2)
    client = app.test_client()
    person = enrol(app, clock)
    first = api_login(client, person.user.email).json["mfa_token"]
    second = api_login(client, person.user.email).json["mfa_token"]
    assert _verify(client, first, "123456").status_code == 400
    assert _verify(client, first, "123456").status_code == 400  # the second failure locks
    r = _verify(client, second, person.code(clock.now))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert set(r.json) == {"detail", "retry_after"}


def test_two_parallel_requests_with_one_code_sign_in_once(app, enrolled, clock, db):
    tokens = [api_login(app.test_client(), enrolled.user.email).json["mfa_token"] for _ in range(2)]
    code = enrolled.code(clock.now)

    def answer(token):
        r = _verify(app.test_client(), token, code)
        return r.status_code, r.json.get("error")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(answer, tokens))
    assert results == [(200, None), (400, "Code already used.")]
    assert sorted(_reasons(db)[2:]) == [("totp", "ok"), ("totp", "replayed_code")]


def test_bad_input_is_a_clear_400(client, enrolled):
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    r = _verify(client, token, "123456", method="sms_carrier_pigeon")
    assert (r.status_code, r.json) == (400, {"method": ["Invalid method."]})
    r = _verify(client, token, "")
    assert (r.status_code, r.json) == (400, {"code": ["code_required"]})
    r = _verify(client, token, "123456", trust_device="yes")
    assert r.status_code == 400 and "trust_device" in r.json
    assert _verify(client, "not-a-token", "123456").json == INVALID_TOKEN


def test_trust_device_skips_the_second_factor_next_time(client, enrolled, clock, db):
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    r = _verify(client, token, enrolled.code(clock.now), trust_device=True)
    assert any(mfa.TRUST_COOKIE in c for c in r.headers.getlist("Set-Cookie"))
    r = api_login(client, enrolled.user.email)
    assert r.status_code == 200 and "access" in r.json
    summary = client.get(f"{BASE}/mfa/", headers=bearer(r.json["access"])).json
    assert summary["trusted_devices"] == 1


def test_recovery_code_through_the_api(client, enrolled, outbox):
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    r = _verify(client, token, enrolled.codes[3], method="recovery_code")
    assert r.status_code == 200
    assert "9 recovery codes left" in outbox[-1].body
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    assert _verify(client, token, enrolled.codes[3], method="recovery_code").status_code == 400


def test_email_code_as_second_factor(client, enrolled, outbox):
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    r = client.post(f"{BASE}/mfa/email-code/", json={"mfa_token": token})
    assert r.status_code == 200
    code = re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)
    assert _verify(client, token, code, method="email_code").status_code == 200
    r = client.post(f"{BASE}/mfa/email-code/", json={"mfa_token": "nope"})
    assert (r.status_code, r.json) == (401, INVALID_TOKEN)


# ---------------------------------------------------------------- managing factors


def test_enrol_confirm_regenerate_and_disable(client, user_factory, clock, outbox, db):
    person = user_factory()
    heads = bearer(tokens_for(client, person)["access"])
    assert client.get(f"{BASE}/mfa/", headers=heads).json == {
        "totp": False,
        "passkeys": 0,
        "recovery_codes_left": 0,
        "required": False,
        "trusted_devices": 0,
    }
    setup = client.post(f"{BASE}/mfa/totp/setup/", headers=heads).json
    assert set(setup) == {"secret", "otpauth_uri", "qr_svg"}
    assert setup["otpauth_uri"].startswith("otpauth://totp/") and "<svg" in setup["qr_svg"]
    r = client.post(f"{BASE}/mfa/totp/confirm/", json={"code": "000000"}, headers=heads)
    assert (r.status_code, r.json) == (400, {"error": "Invalid code."})
    code = pyotp.TOTP(setup["secret"]).at(clock.now)
    r = client.post(f"{BASE}/mfa/totp/confirm/", json={"code": code}, headers=heads)
    assert r.status_code == 200 and len(r.json["recovery_codes"]) == 10
    assert client.get(f"{BASE}/mfa/", headers=heads).json["recovery_codes_left"] == 10
    again = client.post(f"{BASE}/mfa/totp/setup/", headers=heads)
    assert again.status_code == 400

    r = client.post(f"{BASE}/mfa/recovery-codes/", json={"password": "nope"}, headers=heads)
    assert (r.status_code, r.json) == (400, {"password": ["Password is incorrect."]})
    r = client.post(f"{BASE}/mfa/recovery-codes/", json={"password": PASSWORD}, headers=heads)
    assert r.status_code == 200 and len(r.json["recovery_codes"]) == 10

    r = client.post(f"{BASE}/mfa/totp/disable/", json={}, headers=heads)
    assert r.status_code == 400
    r = client.post(f"{BASE}/mfa/totp/disable/", json={"password": PASSWORD}, headers=heads)
    assert r.status_code == 200
    assert db.session.get(User, person.id).totp_enabled_at is None
    assert [m.subject for m in outbox][-3:] == [
        "Doorman: two-factor authentication is on",
        "Doorman: new recovery codes",
        "Doorman: two-factor authentication is off",
    ]


def test_required_role_without_a_factor_can_only_enrol_through_the_api(
    app_factory, user_factory, clock
):
    app = app_factory(RATELIMIT_ENABLED=False, MFA_REQUIRED_ROLES="staff")
    client = app.test_client()
    staff = user_factory(role="staff")
    heads = bearer(tokens_for(client, staff)["access"])
    r = client.get(f"{BASE}/me/", headers=heads)
    assert r.status_code == 403 and "two-factor" in r.json["detail"]
    assert client.get(f"{BASE}/mfa/", headers=heads).json["required"] is True
    setup = client.post(f"{BASE}/mfa/totp/setup/", headers=heads).json
    code = pyotp.TOTP(setup["secret"]).at(clock.now)
    client.post(f"{BASE}/mfa/totp/confirm/", json={"code": code}, headers=heads)
    assert client.get(f"{BASE}/me/", headers=heads).status_code == 200


# ---------------------------------------------------------------- passwordless


def _otp_request(client, email):
    return client.post(f"{BASE}/otp/request/", json={"email": email})


def test_otp_request_and_verify(client, user_factory, outbox, db):
    person = user_factory()
    for email in (person.email, "nobody@example.com"):
        r = _otp_request(client, email)
        assert (r.status_code, r.json) == (
            200,
            {"message": "If this address can sign in, a code is on its way."},
        )
    assert len(outbox) == 1
    code = re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)
    wrong = client.post(f"{BASE}/otp/verify/", json={"email": person.email, "code": "12345x"})
    assert (wrong.status_code, wrong.json) == (400, {"error": "Invalid or expired code."})
    r = client.post(f"{BASE}/otp/verify/", json={"email": person.email, "code": code})
    assert r.status_code == 200 and set(r.json) >= TOKEN_KEYS
    again = client.post(f"{BASE}/otp/verify/", json={"email": person.email, "code": code})
    assert again.status_code == 400
    assert _reasons(db) == [
        ("email_code", "bad_code"),
        ("email_code", "ok"),
        ("email_code", "bad_code"),
    ]


def test_otp_five_wrong_codes_give_429(client, user_factory, outbox):
    person = user_factory()
    _otp_request(client, person.email)
    code = re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = client.post(f"{BASE}/otp/verify/", json={"email": person.email, "code": wrong})
        assert r.status_code == 400
    r = client.post(f"{BASE}/otp/verify/", json={"email": person.email, "code": code})
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_otp_requests_are_limited_to_three_an_hour_per_email(app_factory, user_factory):
    app = app_factory()
    client = app.test_client()
    person = user_factory()
    codes = [_otp_request(client, person.email).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _otp_request(client, "someone-else@example.com").status_code == 200


def test_otp_for_an_account_with_totp_still_asks_for_it(client, enrolled, outbox, clock):
    _otp_request(client, enrolled.user.email)
    code = re.search(r"\b(\d{6})\b", outbox[-1].body).group(1)
    r = client.post(f"{BASE}/otp/verify/", json={"email": enrolled.user.email, "code": code})
    assert r.json["mfa_required"] is True
    assert r.json["methods"] == ["totp", "recovery_code"]
    assert _verify(client, r.json["mfa_token"], enrolled.code(clock.now)).status_code == 200


def test_otp_request_costs_the_same_for_known_and_unknown_emails(app_factory, user_factory):
    """Medians of interleaved requests: an unknown email must not answer measurably faster.

    The floor is set well above either path's work, as a loaded machine may slow both."""
    app = app_factory(RATELIMIT_ENABLED=False, ENUMERATION_FLOOR_MS=150)
    person = user_factory()
    client = app.test_client()
    timings = {"known": [], "unknown": []}
    for i in range(25):
        for name, email in (("known", person.email), ("unknown", f"nobody{i}@example.com")):
            began = time.perf_counter()
            assert _otp_request(client, email).status_code == 200
            timings[name].append(time.perf_counter() - began)
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    print(f"otp/request medians: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert 0.6 * known < unknown < known / 0.6, (known, unknown)


# ---------------------------------------------------------------- access matrix

ROLES = [None, "user", "staff", "admin"]
# (method, path, body) -> status per role; the body is what an empty client would send.
ROUTES = [
    ("get", "/mfa/", None, (401, 200, 200, 200)),
    ("post", "/mfa/totp/setup/", None, (401, 200, 200, 200)),
    ("post", "/mfa/totp/confirm/", {}, (401, 400, 400, 400)),
    ("post", "/mfa/totp/disable/", {}, (401, 400, 400, 400)),
    ("post", "/mfa/recovery-codes/", {}, (401, 400, 400, 400)),
    ("post", "/mfa/verify/", {"mfa_token": "x", "code": "123456"}, (401, 401, 401, 401)),
    ("post", "/mfa/email-code/", {"mfa_token": "x"}, (401, 401, 401, 401)),
    ("post", "/mfa/sms-code/", {"mfa_token": "x"}, (401, 401, 401, 401)),
    ("post", "/otp/request/", {"email": "a@example.com"}, (200, 200, 200, 200)),
    ("post", "/otp/verify/", {"email": "a@example.com", "code": "1"}, (400, 400, 400, 400)),
]


@pytest.mark.parametrize(
    "method, path, body, role, expected",
    [(m, p, b, r, codes[i]) for m, p, b, codes in ROUTES for i, r in enumerate(ROLES)],
)
def test_access_matrix(client, user_factory, method, path, body, role, expected):
    headers = {}
    if role:
        headers = bearer(tokens_for(client, user_factory(role=role))["access"])
    r = getattr(client, method)(f"{BASE}{path}", json=body, headers=headers)
    assert r.status_code == expected
    if expected == 401:
        assert r.json == INVALID_TOKEN


def test_encrypted_secret_never_leaves_in_the_mfa_summary(client, enrolled, clock):
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    access = _verify(client, token, enrolled.code(clock.now)).json["access"]
    summary = client.get(f"{BASE}/mfa/", headers=bearer(access)).json
    assert summary["totp"] is True and summary["recovery_codes_left"] == 10
    assert enrolled.secret not in str(summary)


def test_enrol_helper_matches_the_service(app, clock):
    person = enrol(app, clock)
    assert len(person.codes) == 10


def test_a_second_factor_sign_in_trusts_its_device_and_keeps_that_trust(
    client, enrolled, clock, db
):
    from webapp.models import TrustedDevice

    token = api_login(client, enrolled.user.email).json["mfa_token"]
    first = _verify(client, token, enrolled.code(clock.now))
    assert any(c.startswith("doorman_device=") for c in first.headers.getlist("Set-Cookie"))
    # The next sign-in from the same client uses its device, rather than trusting a new one.
    token = api_login(client, enrolled.user.email).json["mfa_token"]
    assert _verify(client, token, enrolled.code(clock.now + 30)).status_code == 200
    devices = db.session.execute(select(TrustedDevice)).scalars().all()
    assert [d.user_id for d in devices] == [enrolled.user.id]
