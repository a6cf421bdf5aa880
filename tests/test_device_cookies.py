"""Device cookies (OWASP): the owner's devices get in while untrusted clients stay locked out."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, update

from tests.conftest import extract
from tests.helpers import PASSWORD, login, post_form
from webapp.extensions import db as database
from webapp.models import LoginAttempt, LoginLockout, SecurityEvent, TrustedDevice, utcnow
from webapp.services.devices import SALT

COOKIE = "doorman_device"
YEAR = 365 * 24 * 60 * 60
WRONG = "wrong-password-x"
NEW_PASSWORD = "another-long-secret-1"
# Every party has its own address, so the per-IP rate limit (on here) masks no lockout.
OWNER_IP, OWNER_IP_2, ATTACKER_IP, STRANGER_IP = (
    "203.0.113.10",
    "203.0.113.11",
    "198.51.100.66",
    "192.0.2.77",
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
VIAS = ["web", "api"]
SIGNED_IN = {"web": 302, "api": 200}
REFUSED = {"web": 200, "api": 400}


def client_at(app, ip: str, cookie: str | None = None, user_agent: str | None = None):
    """A client of its own address, carrying a device cookie or none."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    if user_agent:
        client.environ_base["HTTP_USER_AGENT"] = user_agent
    if cookie:
        client.set_cookie(COOKIE, cookie)
    return client


def attempt(client, via: str, email: str, password: str = PASSWORD):
    """One sign-in through the web form or the API."""
    if via == "api":
        return client.post("/api/user/token/", json={"email": email, "password": password})
    return login(client, email, password)


def sign_in(app, via: str, email: str, ip: str, **kwargs) -> str:
    """Sign in from a new client; returns the device cookie it was given."""
    client = client_at(app, ip, **kwargs)
    assert attempt(client, via, email).status_code == SIGNED_IN[via]
    return client.get_cookie(COOKIE).value


def lock_email(app, via: str, email: str) -> None:
    """An attacker from another address locks the email: five failures, then a 429."""
    attacker = client_at(app, ATTACKER_IP)
    codes = [attempt(attacker, via, email, WRONG).status_code for _ in range(5)]
    assert codes == [REFUSED[via]] * 5
    assert attempt(attacker, via, email).status_code == 429  # even the right password


def reasons(db) -> list[str]:
    query = select(LoginAttempt.reason).order_by(LoginAttempt.id)
    return list(db.session.execute(query).scalars())


def devices(db) -> list[TrustedDevice]:
    return list(db.session.execute(select(TrustedDevice).order_by(TrustedDevice.id)).scalars())


def trusted_devices_listed(client) -> str:
    """The trusted-devices part of the sessions page."""
    page = client.get("/account/sessions").get_data(as_text=True)
    return page.split("Trusted devices</h2>", 1)[1]


def device_cookie_headers(response) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}=")]


@pytest.mark.parametrize("via", VIAS)
def test_a_sign_in_sets_a_signed_httponly_device_cookie_naming_the_account(
    app, db, user_factory, via
):
    user = user_factory()
    client = client_at(app, OWNER_IP)
    [header] = device_cookie_headers(attempt(client, via, user.email))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert f"Max-Age={YEAR}" in header and "Secure" not in header
    value = client.get_cookie(COOKIE).value
    owner, secret = URLSafeSerializer(app.secret_key, salt=SALT).loads(value)
    [device] = devices(db)
    assert owner == user.id == device.user_id
    assert secret not in (device.token_hash, value.split(".")[-1])  # only its hash is kept
    assert device.ip == OWNER_IP and device.revoked_at is None
    refused = attempt(client_at(app, STRANGER_IP), via, user.email, WRONG)
    assert refused.status_code == REFUSED[via] and device_cookie_headers(refused) == []


def test_the_device_cookie_follows_the_settings(app_factory, user_factory):
    app = app_factory(SESSION_COOKIE_SECURE=True, DEVICE_COOKIE_NAME="trust", DEVICE_COOKIE_DAYS=30)
    user = user_factory()
    response = attempt(client_at(app, OWNER_IP), "api", user.email)
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("trust=")]
    assert "Secure" in header and f"Max-Age={30 * 24 * 60 * 60}" in header


@pytest.mark.parametrize("via", VIAS)
def test_the_owner_with_its_device_cookie_gets_in_while_the_email_stays_locked(
    app, db, user_factory, via
):
    owner = user_factory(email="olive@example.com")
    cookie = sign_in(app, via, owner.email, OWNER_IP)
    lock_email(app, via, owner.email)
    response = attempt(client_at(app, OWNER_IP, cookie), via, owner.email)
    assert response.status_code == SIGNED_IN[via]
    assert [h.split(";")[0] for h in device_cookie_headers(response)] == [f"{COOKIE}={cookie}"]
    # The owner's sign-in does not lift the lock for everyone else.
    response = attempt(client_at(app, STRANGER_IP), via, owner.email)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 800
    if via == "api":
        assert set(response.get_json()) == {"detail", "retry_after"}
    assert reasons(db) == ["ok"] + ["bad_credentials"] * 5 + ["locked", "ok", "locked"]
    [device] = devices(db)  # trusted again, not a second device
    assert device.last_used_at > device.created_at


def _forged(app, owner_cookie, other_cookie, owner_id):
    head, _, signature = owner_cookie.rpartition(".")
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def _signed_with_another_key(app, owner_cookie, other_cookie, owner_id):
    return URLSafeSerializer("not-the-secret-key", salt=SALT).dumps([owner_id, "x" * 43])


def _unknown_to_the_server(app, owner_cookie, other_cookie, owner_id):
    return URLSafeSerializer(app.secret_key, salt=SALT).dumps([owner_id, "x" * 43])


def _another_accounts(app, owner_cookie, other_cookie, owner_id):
    return other_cookie


def _revoked(app, owner_cookie, other_cookie, owner_id):
    _change_owner_devices(app, owner_id, revoked_at=utcnow(), revoked_reason="test")
    return owner_cookie


def _expired(app, owner_cookie, other_cookie, owner_id):
    _change_owner_devices(app, owner_id, expires_at=utcnow() - timedelta(seconds=1))
    return owner_cookie


def _change_owner_devices(app, owner_id, **values):
    with app.app_context():
        database.session.execute(
            update(TrustedDevice).where(TrustedDevice.user_id == owner_id).values(**values)
        )
        database.session.commit()


UNTRUSTED = [
    pytest.param(_forged, id="forged"),
    pytest.param(_signed_with_another_key, id="another-key"),
    pytest.param(_unknown_to_the_server, id="unknown-secret"),
    pytest.param(_another_accounts, id="other-account"),
    pytest.param(_revoked, id="revoked"),
    pytest.param(_expired, id="expired"),
]


@pytest.mark.parametrize("make_cookie", UNTRUSTED)
@pytest.mark.parametrize("via", VIAS)
def test_an_untrusted_cookie_keeps_the_lockout(app, db, user_factory, via, make_cookie):
    owner = user_factory(email="olive@example.com")
    other = user_factory(email="oscar@example.com")
    owner_cookie = sign_in(app, via, owner.email, OWNER_IP)
    other_cookie = sign_in(app, via, other.email, OWNER_IP_2)
    lock_email(app, via, owner.email)
    cookie = make_cookie(app, owner_cookie, other_cookie, owner.id)
    response = attempt(client_at(app, OWNER_IP, cookie), via, owner.email)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 800
    assert reasons(db) == ["ok", "ok"] + ["bad_credentials"] * 5 + ["locked", "locked"]


@pytest.mark.parametrize("via", VIAS)
def test_failures_with_a_device_cookie_lock_that_device_only(app, db, user_factory, outbox, via):
    owner = user_factory(email="olive@example.com")
    cookie = sign_in(app, via, owner.email, OWNER_IP)
    other_device = sign_in(app, via, owner.email, OWNER_IP_2)
    device = client_at(app, OWNER_IP, cookie)
    codes = [attempt(device, via, owner.email, WRONG).status_code for _ in range(5)]
    assert codes == [REFUSED[via]] * 5
    response = attempt(device, via, owner.email)  # even the right password
    assert response.status_code == 429
    assert 890 <= int(response.headers["Retry-After"]) <= 900
    # The owner's other device and clients without a cookie are not locked.
    assert (
        attempt(client_at(app, OWNER_IP_2, other_device), via, owner.email).status_code
        == (SIGNED_IN[via])
    )
    email_lock = db.session.get(LoginLockout, owner.email)
    assert email_lock.failures == 0 and email_lock.locked_until is None
    assert attempt(client_at(app, STRANGER_IP), via, owner.email).status_code == SIGNED_IN[via]
    assert attempt(device, via, owner.email).status_code == 429  # still locked
    assert reasons(db) == ["ok", "ok"] + ["bad_credentials"] * 5 + ["locked", "ok", "ok", "locked"]
    [event] = db.session.execute(
        select(SecurityEvent).where(SecurityEvent.kind == "lockout")
    ).scalars()
    assert "trusted device" in event.details
    assert [m for m in outbox if "locked" in m.subject] == []  # the account is not locked


def test_the_device_threshold_is_its_own_setting(app_factory, user_factory):
    app = app_factory(DEVICE_LOCKOUT_THRESHOLD=2)
    owner = user_factory()
    device = client_at(app, OWNER_IP, sign_in(app, "api", owner.email, OWNER_IP))
    codes = [attempt(device, "api", owner.email, WRONG).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_a_device_revoked_from_the_sessions_page_is_trusted_no_more(app, db, user_factory):
    owner = user_factory(email="olive@example.com")
    laptop = client_at(app, OWNER_IP)
    assert login(laptop, owner.email).status_code == 302
    laptop_cookie = laptop.get_cookie(COOKIE).value
    phone_cookie = sign_in(app, "api", owner.email, OWNER_IP_2, user_agent=IPHONE)
    listed = trusted_devices_listed(laptop)
    assert "iOS" in listed and listed.count("/revoke") == 2
    [phone] = [d for d in devices(db) if d.ip == OWNER_IP_2]
    response = post_form(laptop, f"/account/devices/{phone.id}/revoke", {})
    assert response.status_code == 302 and response.location.endswith("/account/sessions")
    listed = trusted_devices_listed(laptop)
    assert "iOS" not in listed and listed.count("/revoke") == 1
    lock_email(app, "api", owner.email)
    assert attempt(client_at(app, OWNER_IP_2, phone_cookie), "api", owner.email).status_code == 429
    trusted = client_at(app, OWNER_IP, laptop_cookie)
    assert attempt(trusted, "api", owner.email).status_code == 200


@pytest.mark.parametrize(
    ("who", "expected"), [("anonymous", 302), ("owner", 302), ("another user", 404)]
)
def test_revoke_device_access(app, db, user_factory, who, expected):
    owner = user_factory(email="olive@example.com")
    sign_in(app, "api", owner.email, OWNER_IP)
    [device] = devices(db)
    client = client_at(app, STRANGER_IP)
    if who != "anonymous":
        person = owner if who == "owner" else user_factory()
        assert login(client, person.email).status_code == 302
    response = post_form(client, f"/account/devices/{device.id}/revoke", {}, token_from="/")
    assert response.status_code == expected
    db.session.refresh(device)
    assert (device.revoked_at is not None) == (who == "owner")
    if who == "anonymous":
        assert "/auth/login" in response.location
    if who == "owner":  # a second revoke finds nothing live
        again = post_form(client, f"/account/devices/{device.id}/revoke", {}, token_from="/")
        assert again.status_code == 404


def _sign_out_everywhere(app, laptop, outbox):
    post_form(laptop, "/account/sessions/revoke-others", {}, token_from="/account/sessions")
    return PASSWORD


def _change_password(app, laptop, outbox):
    data = {
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "password_repeat": NEW_PASSWORD,
    }
    assert post_form(laptop, "/account/password", data).status_code == 302
    return NEW_PASSWORD


def _reset_password(app, laptop, outbox):
    client = client_at(app, STRANGER_IP)
    client.post("/api/user/password-reset/", json={"email": "olive@example.com"})
    token = extract(r"/auth/reset/(\S+)", outbox[-1].body)
    data = {"password": NEW_PASSWORD, "passwordRepeat": NEW_PASSWORD}
    assert client.post(f"/api/user/reset-password/{token}/", json=data).status_code == 200
    return NEW_PASSWORD


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(_sign_out_everywhere, id="sign-out-everywhere"),
        pytest.param(_change_password, id="password-change"),
        pytest.param(_reset_password, id="password-reset"),
    ],
)
def test_signing_out_everywhere_and_new_passwords_forget_every_device(
    app, db, user_factory, outbox, action
):
    owner = user_factory(email="olive@example.com")
    laptop = client_at(app, OWNER_IP)
    assert login(laptop, owner.email).status_code == 302
    phone_cookie = sign_in(app, "api", owner.email, OWNER_IP_2)
    password = action(app, laptop, outbox)
    assert [d.revoked_at is not None for d in devices(db)] == [True, True]
    if action is _sign_out_everywhere:  # this browser stays signed in, its device forgotten
        assert "No trusted devices" in trusted_devices_listed(laptop)
    lock_email(app, "api", owner.email)
    phone = client_at(app, OWNER_IP_2, phone_cookie)
    assert attempt(phone, "api", owner.email, password).status_code == 429


def test_parallel_failures_from_one_device_are_counted_one_after_another(app, user_factory):
    owner = user_factory(email="olive@example.com")
    cookie = sign_in(app, "api", owner.email, OWNER_IP)

    def wrong(i):
        client = client_at(app, f"192.0.2.{i + 1}", cookie)
        return attempt(client, "api", owner.email, f"wrong-{i}").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = sorted(pool.map(wrong, range(10)))
    assert codes == [400] * 5 + [429] * 5
    with app.app_context():  # read afterwards: the db fixture's session is not for threads
        session = database.session
        rows = session.execute(select(LoginAttempt.reason)).scalars()
        assert sorted(rows) == ["bad_credentials"] * 5 + ["locked"] * 5 + ["ok"]
        device = session.execute(select(TrustedDevice)).scalar_one()
        assert device.level == 1 and device.locked_until is not None and device.failures == 0
        email_lock = session.get(LoginLockout, owner.email)
        assert email_lock.failures == 0 and email_lock.locked_until is None
        assert len(session.execute(select(SecurityEvent)).all()) == 1


def test_purge_removes_devices_long_expired_or_revoked(app, db, user_factory):
    owner = user_factory()
    for ip in (OWNER_IP, OWNER_IP_2, STRANGER_IP):
        sign_in(app, "api", owner.email, ip)
    old, live, recently_revoked = devices(db)
    long_ago = utcnow() - timedelta(days=31)
    old.expires_at = long_ago
    recently_revoked.revoked_at = utcnow() - timedelta(days=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0 and "1 trusted devices" in result.output
    assert [d.id for d in devices(db)] == [live.id, recently_revoked.id]
