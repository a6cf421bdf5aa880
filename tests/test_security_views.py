"""The security views: the user's own (page and API), the admins' feed and actions, IP blocks
on every sign-in endpoint, and the access matrices of every new route."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.api_helpers import bearer, tokens_for
from tests.helpers import login, make_user, post_form
from tests.security_helpers import AU, DE, GB, QUIET, client_at, token_login
from webapp.extensions import db as database
from webapp.hooks import LOGIN_ENDPOINTS
from webapp.models import IpBlock, LoginAttempt, LoginLockout, SecurityEvent, User, utcnow
from webapp.services import api_tokens
from webapp.services import auth as auth_service
from webapp.services.sessions import open_session

BASE = "/api/user"
WRONG = "wrong-password-123"
BLOCKED = {"detail": "Access from this address is blocked."}
ROLES = [None, "user", "staff", "admin"]


def _event(db, **fields) -> int:
    event = SecurityEvent(kind="password_spraying", ip=AU, subject="1.1.1.0/24", **fields)
    db.session.add(event)
    db.session.commit()
    return event.id


def _block(db, cidr: str, hours: float = 1) -> int:
    block = IpBlock(cidr=cidr, reason="test", expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(block)
    db.session.commit()
    return block.id


# ---------------------------------------------------------------- access matrices

PAGES = {
    "/account/security": (302, 200, 200, 200),
    "/admin/admin_events/": (302, 403, 200, 200),
    "/admin/admin_blocks/": (302, 403, 403, 200),
    "/admin/admin_blocks/new/": (302, 403, 403, 200),
    "/auth/alert/not-a-token": (400, 400, 400, 400),
}
PAGE_POSTS = {
    "/dashboard/admin/security/events/{eid}/acknowledge": (302, 403, 403, 302),
    "/dashboard/admin/security/blocks": (302, 403, 403, 302),
    "/account/security/notices/{eid}/known": (302, 404, 404, 404),
    "/account/security/notices/{eid}/secured": (302, 404, 404, 404),
}


@pytest.mark.parametrize(
    "path, role, expected",
    [(p, r, codes[i]) for p, codes in PAGES.items() for i, r in enumerate(ROLES)],
)
def test_page_access(actor, client, path, role, expected):
    actor(role)
    assert client.get(path).status_code == expected


@pytest.mark.parametrize(
    "path, role, expected",
    [(p, r, codes[i]) for p, codes in PAGE_POSTS.items() for i, r in enumerate(ROLES)],
)
def test_page_post_access(actor, client, db, path, role, expected):
    eid = _event(db)
    actor(role)
    response = post_form(
        client, path.format(eid=eid), {"cidr": "192.0.2.0/24", "hours": "2"}, token_from="/"
    )
    assert response.status_code == expected


API = {
    ("GET", "security/summary/"): (401, 200, 200, 200),
    ("GET", "security/events/"): (401, 200, 200, 200),
    ("GET", "admin/security/events/"): (401, 403, 200, 200),
    ("POST", "admin/security/events/{eid}/acknowledge/"): (401, 403, 403, 200),
    ("GET", "admin/security/ip-blocks/"): (401, 403, 403, 200),
    ("POST", "admin/security/ip-blocks/"): (401, 403, 403, 201),
    ("DELETE", "admin/security/ip-blocks/{bid}/"): (401, 403, 403, 204),
}


@pytest.mark.parametrize(
    "method, path, role, expected",
    [(m, p, r, codes[i]) for (m, p), codes in API.items() for i, r in enumerate(ROLES)],
)
def test_api_access(app, client, db, method, path, role, expected):
    eid, bid = _event(db), _block(db, "203.0.113.0/24")
    headers = {}
    if role:
        with app.app_context():
            user = make_user(role=role)
        headers = bearer(tokens_for(client, user)["access"])
    url = f"{BASE}/{path.format(eid=eid, bid=bid)}"
    body = {"cidr": "192.0.2.0/24", "hours": 2, "reason": "spraying"}
    response = client.open(
        url, method=method, headers=headers, json=body if method == "POST" else None
    )
    assert response.status_code == expected
    if expected == 403:
        assert response.json == {"detail": "You do not have permission to perform this action."}


# ---------------------------------------------------------------- blocks


def _answers(app, ip: str) -> dict[str, int]:
    """Every sign-in endpoint tried once from an address (no CSRF token: a block answers
    before the form is even read)."""
    client = client_at(app, ip)
    calls = {
        "auth.login": lambda: client.post("/auth/login", data={"email": "a@example.com"}),
        "api.token": lambda: token_login(client, "a@example.com", WRONG),
        "api.mfa_verify": lambda: client.post(f"{BASE}/mfa/verify/", json={"mfa_token": "x"}),
        "api.otp_verify": lambda: client.post(f"{BASE}/otp/verify/", json={"email": "a@b.co"}),
        "auth.mfa": lambda: client.post("/auth/mfa", data={"code": "123456"}),
        "auth.login_code_verify": lambda: client.post("/auth/login-code/verify", data={}),
        "auth.passkey_login": lambda: client.post("/auth/passkey/login", data={}),
        "auth.mfa_passkey": lambda: client.post("/auth/mfa/passkey", data={}),
        "api.passkeys_login_finish": lambda: client.post(
            f"{BASE}/passkeys/login/finish/", json={"challenge_id": "x", "credential": {}}
        ),
    }
    return {name: call() for name, call in calls.items()}


def test_a_blocked_network_gets_403_on_every_sign_in_endpoint_without_a_hash(app, db, monkeypatch):
    _block(db, "1.1.1.0/24")
    monkeypatch.setattr(
        auth_service, "verify_password", lambda *a: pytest.fail("a password was checked")
    )
    answers = _answers(app, AU)
    assert set(answers) == set(LOGIN_ENDPOINTS)  # every sign-in endpoint
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 403)
    for name, response in answers.items():
        if name.startswith("api."):
            assert response.json == BLOCKED
        else:
            assert BLOCKED["detail"] in response.get_data(as_text=True)
    reasons = db.session.execute(select(LoginAttempt.reason, LoginAttempt.ip)).all()
    assert reasons == [("blocked_ip", AU)] * len(answers)


def test_just_outside_an_expired_or_lifted_block_is_not_blocked(app, db, user_factory):
    user = user_factory()
    _block(db, "1.1.1.0/24")
    _block(db, DE, hours=-0.01)  # expired a moment ago
    assert token_login(client_at(app, "1.1.2.1"), user.email).status_code == 200
    assert token_login(client_at(app, DE), user.email).status_code == 200
    assert token_login(client_at(app, AU), user.email).status_code == 403


def test_admins_block_and_lift_through_the_api(app, client, db, user_factory):
    admin = user_factory(role="admin")
    user = user_factory()
    headers = bearer(tokens_for(client, admin)["access"])
    created = client.post(
        f"{BASE}/admin/security/ip-blocks/",
        headers=headers,
        json={"cidr": "1.1.1.1", "hours": 2, "reason": "stuffing"},
    )
    assert created.status_code == 201
    assert created.json["cidr"] == "1.1.1.1/32" and created.json["reason"] == "stuffing"
    assert re.search(r"\+00:00$", created.json["expires_at"])
    listed = client.get(f"{BASE}/admin/security/ip-blocks/", headers=headers).json
    assert [b["id"] for b in listed] == [created.json["id"]]
    assert token_login(client_at(app, AU), user.email).status_code == 403
    block_url = f"{BASE}/admin/security/ip-blocks/{created.json['id']}/"
    assert client.delete(block_url, headers=headers).status_code == 204
    assert client.delete(block_url, headers=headers).status_code == 404
    assert token_login(client_at(app, AU), user.email).status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"cidr": "nonsense", "hours": 2}, "cidr"),
        ({"cidr": "", "hours": 2}, "cidr"),
        ({"hours": 2}, "cidr"),
        ({"cidr": "1.1.1.0/24", "hours": 0}, "hours"),
        ({"cidr": "1.1.1.0/24", "hours": "5"}, "hours"),
        ({"cidr": "1.1.1.0/24", "hours": True}, "hours"),
        ({"cidr": "1.1.1.0/24", "hours": 8761}, "hours"),
        ({"cidr": "1.1.1.0/24", "hours": 1, "reason": 5}, "reason"),
    ],
)
def test_bad_blocks_are_400_with_the_field(client, user_factory, body, field):
    admin = user_factory(role="admin")
    headers = bearer(tokens_for(client, admin)["access"])
    response = client.post(f"{BASE}/admin/security/ip-blocks/", headers=headers, json=body)
    assert response.status_code == 400 and field in response.json


def test_admin_analytics_page_blocks_and_acknowledges(app, client, db, user_factory):
    admin = user_factory(role="admin")
    eid = _event(db, details="6 different emails failed")
    assert login(client, admin.email).status_code == 302
    page = client.get("/dashboard/admin/").get_data(as_text=True)
    assert 'id="security-feed"' in page and "6 different emails failed" in page
    response = post_form(
        client,
        "/dashboard/admin/security/blocks",
        {"cidr": "1.1.1.0/24", "hours": "3", "reason": "spraying"},
        token_from="/dashboard/admin/",
    )
    assert response.status_code == 302
    [block] = db.session.execute(select(IpBlock)).scalars()
    assert block.cidr == "1.1.1.0/24"
    bad = post_form(
        client, "/dashboard/admin/security/blocks", {"cidr": "x", "hours": "3"}, token_from="/"
    )
    assert bad.status_code == 302 and db.session.query(IpBlock).count() == 1
    post_form(client, f"/dashboard/admin/security/events/{eid}/acknowledge", {}, token_from="/")
    assert db.session.get(SecurityEvent, eid).acknowledged_at is not None
    assert "6 different emails failed" not in client.get("/dashboard/admin/").get_data(as_text=True)


def _admin_action(client, action: str, eid: int):
    return post_form(
        client,
        "/admin/admin_events/action/",
        {"action": action, "rowid": str(eid)},
        token_from="/admin/admin_events/",
    )


def test_flask_admin_actions_block_lock_and_force_a_reset(app, client, db, user_factory):
    admin = user_factory(role="admin")
    victim = user_factory()
    eid = _event(db, user_id=victim.id, email=victim.email)
    assert login(client, admin.email).status_code == 302
    listing = client.get("/admin/admin_events/").get_data(as_text=True)
    assert "password_spraying" in listing and AU in listing
    _admin_action(client, "block_ip", eid)
    assert [b.cidr for b in db.session.execute(select(IpBlock)).scalars()] == ["1.1.1.1/32"]
    _admin_action(client, "lock_account", eid)
    lock = db.session.get(LoginLockout, victim.email)
    assert lock.locked_until > utcnow() + timedelta(hours=23)
    assert token_login(client_at(app, DE), victim.email).status_code == 429
    _admin_action(client, "force_reset", eid)
    assert db.session.get(User, victim.id).password_hash is None
    _admin_action(client, "acknowledge", eid)
    assert db.session.get(SecurityEvent, eid).acknowledged_at is not None


def test_the_admin_feed_filters_and_acknowledges(app, client, db, user_factory):
    staff, admin = user_factory(role="staff"), user_factory(role="admin")
    first = _event(db)
    db.session.add(SecurityEvent(kind="lockout", email="x@example.com"))
    db.session.commit()
    staff_headers = bearer(tokens_for(client, staff)["access"])
    feed = client.get(f"{BASE}/admin/security/events/", headers=staff_headers).json
    assert feed["count"] == 2 and {e["kind"] for e in feed["results"]} == {
        "password_spraying",
        "lockout",
    }
    only = client.get(f"{BASE}/admin/security/events/?kind=lockout", headers=staff_headers).json
    assert [e["kind"] for e in only["results"]] == ["lockout"]
    none = client.get(f"{BASE}/admin/security/events/?kind=captcha_failed", headers=staff_headers)
    assert none.status_code == 200 and none.json["count"] == 0
    for query in ("kind=no%20pe!", "acknowledged=maybe"):
        bad = client.get(f"{BASE}/admin/security/events/?{query}", headers=staff_headers)
        assert bad.status_code == 400 and "error" in bad.json
    admin_headers = bearer(tokens_for(client, admin)["access"])
    done = client.post(f"{BASE}/admin/security/events/{first}/acknowledge/", headers=admin_headers)
    assert done.status_code == 200 and done.json["acknowledged"] is True
    missing = client.post(
        f"{BASE}/admin/security/events/999999/acknowledge/", headers=admin_headers
    )
    assert missing.status_code == 404
    open_ones = client.get(
        f"{BASE}/admin/security/events/?acknowledged=false", headers=staff_headers
    ).json
    assert [e["kind"] for e in open_ones["results"]] == ["lockout"]


# ---------------------------------------------------------------- the user's own view


def test_summary_counts_failures_by_country_and_says_none_succeeded(
    app_factory, client, db, user_factory
):
    app = app_factory(**QUIET)
    user = user_factory()
    for ip in (GB, GB, AU):
        assert token_login(client_at(app, ip), user.email, WRONG).status_code == 400
    headers = bearer(tokens_for(app.test_client(), user)["access"])
    body = app.test_client().get(f"{BASE}/security/summary/", headers=headers).json
    assert body["failed_attempts_7d"] == 3 and body["countries_30d"] == {"GB": 2, "AU": 1}
    assert body["locked_until"] is None and body["new_devices_30d"] == 0
    assert body["trusted_devices"] == 1  # the device cookie of the sign-in above
    assert body["sentence"] == "3 failed attempts from 2 countries this week; none succeeded."
    web = client_at(app, DE)
    assert login(web, user.email).status_code == 302
    page = web.get("/account/security").get_data(as_text=True)
    assert "3 failed attempts from 2 countries this week; none succeeded." in page
    assert "United Kingdom (GB): 2" in page and "Australia (AU): 1" in page
    assert 'href="/account/security"' in web.get("/account/").get_data(as_text=True)


def test_failures_without_a_country_are_counted_as_unknown_on_the_page(
    app_factory, db, user_factory
):
    app = app_factory(**QUIET)
    user = user_factory()
    for ip in ("10.0.0.7", "10.0.0.7", GB):
        assert token_login(client_at(app, ip), user.email, WRONG).status_code == 400
    headers = bearer(tokens_for(app.test_client(), user)["access"])
    body = app.test_client().get(f"{BASE}/security/summary/", headers=headers).json
    assert body["countries_7d"] == {"GB": 1}  # the API leaves addresses without a country out
    web = client_at(app, DE)
    assert login(web, user.email).status_code == 302
    page = web.get("/account/security").get_data(as_text=True)
    week = re.search(r'<ul[^>]*id="countries-7d">(.*?)</ul>', page, re.S).group(1)
    items = [re.sub(r"\s+", " ", li).strip() for li in re.findall(r"<li[^>]*>(.*?)</li>", week)]
    assert items == ["United Kingdom (GB): 1", "Unknown: 2"]  # the dashboard's label, counted
    # The events table scrolls inside its own box on a phone instead of widening the page.
    assert re.search(r'<div class="table-responsive">\s*<table[^>]*id="security-events"', page)


def test_old_failures_and_other_emails_are_not_counted(app_factory, db, user_factory):
    app = app_factory(**QUIET)
    user, other = user_factory(), user_factory()
    token_login(client_at(app, GB), user.email, WRONG)
    token_login(client_at(app, GB), other.email, WRONG)
    db.session.execute(update(LoginAttempt).values(created_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    token_login(client_at(app, AU), user.email, WRONG)
    headers = bearer(tokens_for(app.test_client(), user)["access"])
    body = app.test_client().get(f"{BASE}/security/summary/", headers=headers).json
    assert body["failed_attempts_7d"] == 1 and body["failed_attempts_30d"] == 2
    assert body["countries_30d"] == {"GB": 1, "AU": 1}


def test_a_lockout_shows_when_it_ends_and_in_the_events(app_factory, db, user_factory):
    app = app_factory(**QUIET)
    user = user_factory()
    for _ in range(5):
        token_login(client_at(app, GB), user.email, WRONG)
    with app.app_context():
        database.session.execute(
            update(LoginLockout).values(locked_until=utcnow() + timedelta(minutes=15))
        )
        database.session.commit()
    db.session.execute(update(User).values(timezone="Asia/Kolkata"))
    db.session.commit()
    # A token for the locked-out user, as an earlier sign-in would have left them.
    with app.test_request_context():
        person = database.session.get(User, user.id)
        pair = api_tokens.issue_pair(open_session(person, DE, "test", kind="api"))
        database.session.commit()
    headers = bearer(pair["access"])
    client = app.test_client()
    body = client.get(f"{BASE}/security/summary/", headers=headers).json
    assert body["locked_until"].endswith("+05:30")
    events = client.get(f"{BASE}/security/events/", headers=headers).json
    assert events["count"] == 1
    [event] = events["results"]
    assert set(event) == {"id", "kind", "created_at", "ip_address", "country", "device", "details"}
    assert event["kind"] == "lockout" and event["ip_address"] == GB
    assert event["created_at"].endswith("+05:30")


def test_new_sign_ins_and_factor_changes_are_the_users_events(
    app, client, db, enrolled, clock, outbox
):
    signed_up = enrolled.user
    web = client_at(app, GB)
    assert login(web, signed_up.email).status_code == 302
    post_form(web, "/auth/mfa", {"code": enrolled.code(clock.now), "method": "totp"})
    page = web.get("/account/security").get_data(as_text=True)
    assert "Two-factor authentication (authenticator app) was turned on." in page
    other = _event(db)  # someone else's: not listed
    assert f">{other}<" not in page and "password spraying" not in page
