"""New-sign-in alerts: new device, network or country; no storms; the two mailed links and
the dashboard notice."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from tests.conftest import extract
from tests.helpers import PASSWORD, login, post_form
from tests.security_helpers import (
    AU,
    GB,
    GB_OTHER_NET,
    GB_SAME_NET,
    IPHONE,
    QUIET,
    alerts_in,
    client_at,
    signed_in,
    token_login,
)
from webapp.models import KnownSignIn, SecurityEvent, User, UserSession, utcnow


def new_sign_ins(db) -> list[SecurityEvent]:
    return list(
        db.session.execute(
            select(SecurityEvent).where(SecurityEvent.kind == "new_sign_in")
        ).scalars()
    )


def test_a_first_sign_in_only_teaches_what_is_known(app, db, user_factory, outbox):
    user = user_factory()
    client = signed_in(client_at(app, GB), user.email)
    signed_in(client, user.email)  # the same browser (its device cookie), network and country
    assert alerts_in(outbox) == []
    kinds = db.session.execute(select(KnownSignIn.kind, KnownSignIn.value)).all()
    assert sorted(kinds) == [
        ("country", "GB"),
        ("device", "Firefox|Linux|desktop"),
        ("network", "81.2.69.0/24"),
    ]


@pytest.mark.parametrize(
    "ip, user_agent, alerted, what",
    [
        (GB_SAME_NET, None, False, None),  # another address of the known /24
        (GB_OTHER_NET, None, True, "New network."),  # another /24, same country
        (AU, None, True, "New network, country."),
        (GB, IPHONE, True, "New device."),
    ],
)
def test_new_device_network_or_country_alerts(
    app, db, user_factory, outbox, ip, user_agent, alerted, what
):
    user = user_factory()
    client = signed_in(client_at(app, GB), user.email)
    client.environ_base["REMOTE_ADDR"] = ip  # the same browser, with its device cookie ...
    if user_agent:
        client.environ_base["HTTP_USER_AGENT"] = user_agent  # ... or another device
    signed_in(client, user.email)
    mails = alerts_in(outbox)
    assert len(mails) == (1 if alerted else 0)
    if alerted:
        [event] = new_sign_ins(db)
        assert event.details == what
        body = mails[0].body
        assert ip in body and event.device in body
        assert re.search(r"Time: +\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC\n", body)
        assert ("Australia (AU)" if ip == AU else "United Kingdom (GB)") in body
        assert "/auth/alert/" in body


def test_a_missing_device_cookie_is_a_new_device(app, db, user_factory, outbox):
    user = user_factory()
    signed_in(client_at(app, GB), user.email)
    signed_in(client_at(app, GB), user.email)  # same browser family, network, country; no cookie
    assert len(alerts_in(outbox)) == 1


def test_the_alert_time_is_in_the_users_zone(app, db, user_factory, outbox):
    user = user_factory()
    db.session.execute(update(User).values(timezone="Asia/Kathmandu"))
    db.session.commit()
    signed_in(client_at(app, GB), user.email)
    signed_in(client_at(app, AU), user.email)
    [mail] = alerts_in(outbox)
    [event] = new_sign_ins(db)
    local = event.created_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Kathmandu"))
    assert f"Time: {local.day} {local:%b %Y, %H:%M} UTC+05:45" in mail.body


@pytest.mark.parametrize("days, alerted", [(89, False), (91, True)])
def test_seen_means_seen_in_the_last_90_days(app, db, user_factory, outbox, days, alerted):
    user = user_factory()
    client = signed_in(client_at(app, GB), user.email)
    db.session.execute(
        update(KnownSignIn)
        .where(KnownSignIn.kind == "network")
        .values(last_seen_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()
    signed_in(client, user.email)
    assert len(alerts_in(outbox)) == (1 if alerted else 0)


def test_no_alert_storm_fifty_sign_ins_from_a_new_device_send_one_mail(
    app_factory, db, user_factory, outbox
):
    app = app_factory(**QUIET)
    user = user_factory()
    signed_in(client_at(app, GB), user.email)
    for _ in range(50):  # a script that keeps no cookies: a new device every time
        signed_in(client_at(app, AU, IPHONE), user.email)
    assert len(alerts_in(outbox)) == 1
    assert len(new_sign_ins(db)) == 1


def test_the_next_day_brings_one_more_alert(app, db, user_factory, outbox):
    user = user_factory()
    signed_in(client_at(app, GB), user.email)
    signed_in(client_at(app, AU), user.email)
    db.session.execute(
        update(SecurityEvent).values(created_at=utcnow() - timedelta(days=1, minutes=1))
    )
    db.session.commit()
    signed_in(client_at(app, AU), user.email)
    assert len(alerts_in(outbox)) == 2


def test_a_wrong_password_from_a_new_place_sends_nothing(app, db, user_factory, outbox):
    user = user_factory()
    signed_in(client_at(app, GB), user.email)
    assert token_login(client_at(app, AU), user.email, "wrong-password-1").status_code == 400
    assert alerts_in(outbox) == [] and new_sign_ins(db) == []


def test_alerts_can_be_switched_off(app_factory, db, user_factory, outbox):
    app = app_factory(NEW_SIGN_IN_ALERTS=False)
    user = user_factory()
    signed_in(client_at(app, GB), user.email)
    signed_in(client_at(app, AU), user.email)
    assert alerts_in(outbox) == []


# ---------------------------------------------------------------- the links and the notice


def _alert(app, user, outbox, ip=AU) -> tuple[str, str]:
    signed_in(client_at(app, GB), user.email)
    signed_in(client_at(app, ip), user.email)
    [mail] = alerts_in(outbox)[-1:]
    known = extract(r"It was me: http://[^/]+(/auth/alert/\S+)", mail.body)
    secure = extract(
        r"Secure my account \(if it was not you\): http://[^/]+(/auth/alert/\S+)", mail.body
    )
    return known, secure


def test_it_was_me_marks_the_sign_in_known_once(app, db, user_factory, outbox):
    user = user_factory()
    known, _secure = _alert(app, user, outbox)
    browser = app.test_client()
    page = browser.get(known)
    assert page.status_code == 200 and "Australia (AU)" in page.get_data(as_text=True)
    assert post_form(browser, known, {}).status_code == 302
    [event] = new_sign_ins(db)
    assert event.resolution == "known" and event.resolved_at is not None
    # Known now: a browser with its device cookie, from that network and country, is not new.
    client = signed_in(client_at(app, AU), user.email)  # (cookie-less: that day's alert is sent)
    db.session.execute(update(SecurityEvent).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    signed_in(client, user.email)
    assert len(new_sign_ins(db)) == 1 and len(alerts_in(outbox)) == 1
    again = post_form(browser, known, {}, token_from="/auth/login")
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)


def test_a_get_never_acts_and_bad_or_expired_links_are_refused(
    app_factory, db, user_factory, outbox
):
    app = app_factory()
    user = user_factory()
    known, secure = _alert(app, user, outbox)
    browser = app.test_client()
    assert browser.get(secure).status_code == 200  # a mail scanner's GET changes nothing
    assert db.session.get(User, user.id).password_hash is not None
    assert browser.get("/auth/alert/forged-token").status_code == 400
    tampered = secure[:-3] + ("aaa" if not secure.endswith("aaa") else "bbb")
    assert browser.get(tampered).status_code == 400
    late = app_factory(_keep_data=True, **{**app.config["TEST_SETTINGS"], "ALERT_LINK_HOURS": -1})
    response = late.test_client().get(known)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_secure_my_account_ends_everything_and_tells_the_admins(app, db, user_factory, outbox):
    admin = user_factory(role="admin")
    user = user_factory()
    own_browser = client_at(app, GB)
    assert login(own_browser, user.email).status_code == 302
    _known, secure = _alert(app, user, outbox)
    browser = app.test_client()
    response = post_form(browser, secure, {})
    assert response.status_code == 302 and "/auth/forgot" in response.headers["Location"]
    assert db.session.get(User, user.id).password_hash is None
    live = db.session.scalar(
        select(func.count()).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    )
    assert live == 0
    assert own_browser.get("/dashboard/").status_code == 302  # signed out
    assert token_login(client_at(app, GB), user.email).status_code == 400  # the old password
    assert [e.kind for e in db.session.execute(select(SecurityEvent)).scalars()].count(
        "account_secured"
    ) == 1
    assert any(m.recipients == [admin.email] and "secured" in m.subject for m in outbox)
    assert any(m.recipients == [user.email] and "reset" in m.subject for m in outbox)


def test_the_dashboard_shows_the_notice_until_it_is_answered(app, db, user_factory, outbox):
    user = user_factory()
    _alert(app, user, outbox)
    web = client_at(app, AU)
    assert login(web, user.email).status_code == 302
    page = web.get("/dashboard/").get_data(as_text=True)
    assert "New sign-in to your account" in page and "Australia (AU)" in page
    [event] = new_sign_ins(db)
    answer = post_form(
        web, f"/account/security/notices/{event.id}/known", {}, token_from="/dashboard/"
    )
    assert answer.status_code == 302
    assert "New sign-in to your account" not in web.get("/dashboard/").get_data(as_text=True)


def test_someone_elses_notice_cannot_be_answered(app, db, user_factory, outbox):
    owner, other = user_factory(), user_factory()
    _alert(app, owner, outbox)
    [event] = new_sign_ins(db)
    web = client_at(app, GB)
    assert login(web, other.email).status_code == 302
    for action in ("known", "secured"):
        response = post_form(
            web, f"/account/security/notices/{event.id}/{action}", {}, token_from="/dashboard/"
        )
        assert response.status_code == 404
    assert db.session.get(User, owner.id).password_hash is not None
    assert PASSWORD  # the owner's password still works:
    assert token_login(client_at(app, GB), owner.email).status_code == 200
