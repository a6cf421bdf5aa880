"""Attack detection rules, each with a data set that just crosses its threshold and one that
just misses it: spraying, stuffing, a failure surge, unusual time, impossible travel."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.helpers import PASSWORD
from tests.security_helpers import AU, DE, GB, GB_OTHER_NET, JP, US, client_at, token_login
from webapp.models import LoginAttempt, LoginStat, SecurityEvent, utcnow
from webapp.models.login_attempt import EVERYONE_KEY
from webapp.services.tracking import bucket_of

WRONG = "not-the-password-1"


def events(db, kind: str) -> list[SecurityEvent]:
    return list(
        db.session.execute(select(SecurityEvent).where(SecurityEvent.kind == kind)).scalars()
    )


def fail(app, ip: str, email: str):
    response = token_login(client_at(app, ip), email, WRONG)
    assert response.status_code == 400
    return response


# ---------------------------------------------------------------- password spraying


@pytest.mark.parametrize("emails, found", [(3, 1), (2, 0)])
def test_spraying_one_network_against_distinct_emails(app_factory, db, emails, found):
    app = app_factory(RATELIMIT_ENABLED=False, SIGNAL_SPRAY_EMAILS=3)
    # Three addresses of one /24: the rule counts the network, not each address.
    for n in range(emails):
        fail(app, f"81.2.69.{10 + n}", f"target{n}@example.com")
    fail(app, "81.2.69.10", "target0@example.com")  # a repeat adds no distinct email
    found_events = events(db, "password_spraying")
    assert len(found_events) == found
    if found:
        assert found_events[0].subject == "81.2.69.0/24"
        assert "3 different emails" in found_events[0].details


def test_spraying_is_one_event_per_window_and_other_networks_do_not_count(app_factory, db):
    app = app_factory(RATELIMIT_ENABLED=False, SIGNAL_SPRAY_EMAILS=3)
    for n in range(6):
        fail(app, "81.2.69.20", f"spray{n}@example.com")
    fail(app, GB_OTHER_NET, "spray9@example.com")
    assert len(events(db, "password_spraying")) == 1


def test_spraying_outside_the_window_does_not_count(app_factory, db):
    app = app_factory(RATELIMIT_ENABLED=False, SIGNAL_SPRAY_EMAILS=3)
    fail(app, "81.2.69.30", "old@example.com")
    db.session.execute(
        update(LoginAttempt).values(created_at=utcnow() - timedelta(minutes=11))
    )  # the window is 10 minutes
    db.session.commit()
    fail(app, "81.2.69.30", "new1@example.com")
    fail(app, "81.2.69.30", "new2@example.com")
    assert events(db, "password_spraying") == []


# ---------------------------------------------------------------- credential stuffing


@pytest.mark.parametrize("addresses, found", [(3, 1), (2, 0)])
def test_stuffing_many_addresses_against_one_email(app_factory, db, user_factory, addresses, found):
    app = app_factory(RATELIMIT_ENABLED=False, SIGNAL_STUFFING_IPS=3)
    victim = user_factory()
    for ip in [GB, AU, DE][:addresses]:
        fail(app, ip, victim.email)
    fail(app, GB, victim.email)  # a repeat adds no distinct address
    found_events = events(db, "credential_stuffing")
    assert len(found_events) == found
    if found:
        assert found_events[0].user_id == victim.id
        assert found_events[0].subject == victim.email


def _seed_everyone_failures(db, when, failures: int) -> None:
    db.session.add(
        LoginStat(
            user_key=EVERYONE_KEY, bucket_start=bucket_of(when), successes=0, failures=failures
        )
    )
    db.session.commit()


@pytest.mark.parametrize("failures, found", [(4, 1), (3, 0)])
def test_surge_needs_its_minimum_of_failures(app_factory, db, failures, found):
    app = app_factory(
        RATELIMIT_ENABLED=False, SIGNAL_SURGE_MIN_FAILURES=4, SIGNAL_SURGE_FACTOR=2
    )  # no failures on the previous days: any 4 are far above the usual
    for n in range(failures):
        fail(app, [GB, AU, DE, US][n], f"nobody{n}@example.com")
    assert len(events(db, "failure_surge")) == found


@pytest.mark.parametrize("failures, found", [(5, 1), (4, 0)])
def test_surge_is_measured_against_the_usual_for_this_hour(app_factory, db, failures, found):
    app = app_factory(
        RATELIMIT_ENABLED=False,
        SIGNAL_SURGE_MIN_FAILURES=1,
        SIGNAL_SURGE_FACTOR=2,
        SIGNAL_SURGE_BASELINE_DAYS=1,
    )
    # Yesterday at this hour: 2 failures, so more than 2 x 2 = 4 now is a surge.
    _seed_everyone_failures(db, utcnow() - timedelta(days=1, minutes=20), 2)
    for n in range(failures):
        fail(app, [GB, AU, DE, US, JP][n], f"nobody{n}@example.com")
    found_events = events(db, "failure_surge")
    assert len(found_events) == found
    if found:
        assert "usually 2.0" in found_events[0].details


# ---------------------------------------------------------------- unusual time


def _seed_successes(db, user_id: int, hours: list[int]) -> None:
    """One success a day at each of these UTC hours over the last days (yesterday backwards)."""
    today = utcnow().replace(minute=0, second=0, microsecond=0)
    for n, hour in enumerate(hours):
        moment = (today - timedelta(days=1 + n)).replace(hour=hour)
        db.session.add(LoginStat(user_key=user_id, bucket_start=moment, successes=1, failures=0))
    db.session.commit()


def _hour_now() -> int:
    now = utcnow()
    if now.minute == 59 and now.second >= 57:  # do not let the hour turn mid-test
        time.sleep(4)
    return utcnow().hour


@pytest.mark.parametrize("inside", [False, True])
def test_unusual_time_just_outside_and_just_inside_the_usual_hours(
    app_factory, db, user_factory, inside
):
    app = app_factory(SIGNAL_USUAL_HOURS_MIN_SIGN_INS=3)
    user = user_factory()  # time zone: the application default (UTC)
    hour = _hour_now()
    # The usual span ends just before this hour (or starts just after it); inside, it reaches it.
    if hour >= 3:
        span = [hour - 3, hour - 2, hour if inside else hour - 1]
    else:
        span = [hour if inside else hour + 1, hour + 2, hour + 3]
    _seed_successes(db, user.id, span)
    assert token_login(client_at(app, GB), user.email).status_code == 200
    found = events(db, "unusual_time")
    assert len(found) == (0 if inside else 1)
    if not inside:
        first, last = min(span), max(span)
        assert found[0].details.endswith(f"outside your usual {first:02d}–{last:02d}")
        assert found[0].details.startswith(f"{hour:02d}:")


def test_unusual_time_needs_enough_sign_ins_to_know_the_usual(app_factory, db, user_factory):
    app = app_factory(SIGNAL_USUAL_HOURS_MIN_SIGN_INS=4)
    user = user_factory()
    hour = _hour_now()
    far = (hour + 12) % 24
    _seed_successes(db, user.id, [far, far, far])  # 3 < 4: no baseline yet
    assert token_login(client_at(app, GB), user.email).status_code == 200
    assert events(db, "unusual_time") == []


def test_unusual_time_badge_is_explained_on_the_security_page(
    app_factory, db, user_factory, client
):
    app = app_factory(SIGNAL_USUAL_HOURS_MIN_SIGN_INS=3)
    user = user_factory()
    hour = _hour_now()
    far = (hour + 12) % 24
    _seed_successes(db, user.id, [far, far, far])
    web = client_at(app, GB)
    from tests.helpers import login

    assert login(web, user.email).status_code == 302
    page = web.get("/account/security").get_data(as_text=True)
    assert "unusual-time" in page and f"outside your usual {far:02d}–{far:02d}" in page


# ---------------------------------------------------------------- impossible travel


@pytest.mark.parametrize("minutes_ago, found", [(4 * 60 - 1, 1), (4 * 60 + 1, 0)])
def test_impossible_travel_between_countries_within_the_window(
    app_factory, db, user_factory, minutes_ago, found
):
    app = app_factory(SIGNAL_TRAVEL_HOURS=4)
    user = user_factory()
    assert token_login(client_at(app, GB), user.email).status_code == 200
    db.session.execute(
        update(LoginAttempt).values(created_at=utcnow() - timedelta(minutes=minutes_ago))
    )
    db.session.commit()
    assert token_login(client_at(app, AU), user.email).status_code == 200
    found_events = events(db, "impossible_travel")
    assert len(found_events) == found
    if found:
        details = found_events[0].details
        assert "United Kingdom (GB)" in details and "Australia (AU)" in details
        assert found_events[0].country == "AU"


def test_no_travel_within_one_country_or_from_private_addresses(app_factory, db, user_factory):
    app = app_factory()
    user = user_factory()
    for ip in (GB, GB_OTHER_NET, "10.1.2.3", "81.2.69.170"):
        assert token_login(client_at(app, ip), user.email, PASSWORD).status_code == 200
    assert events(db, "impossible_travel") == []


# ---------------------------------------------------------------- brute force: the lockout, kept


@pytest.mark.parametrize("failures, locked", [(5, True), (4, False)])
def test_brute_force_on_one_account_is_the_lockout(app_factory, db, user_factory, failures, locked):
    app = app_factory(RATELIMIT_ENABLED=False)
    user = user_factory()
    for _ in range(failures):
        fail(app, GB, user.email)
    assert len(events(db, "lockout")) == (1 if locked else 0)
