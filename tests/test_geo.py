"""Where sign-ins come from: the country of each attempt, its rollup, and where it shows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.helpers import login
from tests.security_helpers import AU, GB, JP, US, client_at, signed_in, token_login
from webapp.models import LoginAttempt, LoginCountryStat
from webapp.models.login_attempt import EVERYONE_KEY
from webapp.services import geo
from webapp.services.tracking import rebuild_rollups


@pytest.mark.parametrize(
    "ip, code",
    [
        (GB, "GB"),
        (AU, "AU"),
        (US, "US"),
        ("2001:4860:4860::8888", "US"),
        ("10.0.0.1", ""),
        ("192.168.1.1", ""),
        ("127.0.0.1", ""),
        ("203.0.113.5", ""),  # documentation range: no country
        ("2001:db8::1", ""),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_country_of_an_address(ip, code):
    assert geo.country_of(ip) == code


def test_names_and_networks():
    assert geo.country_label("GB") == "United Kingdom (GB)"
    assert geo.country_label("") == "Unknown"
    assert geo.network_of("81.2.69.160") == "81.2.69.0/24"
    assert geo.network_of("2a00:1450:4001:81b::200e") == "2a00:1450:4001::/48"


def test_every_attempt_stores_its_country_and_the_rollup_counts_it(app, db, user_factory):
    user = user_factory()
    signed_in(client_at(app, GB), user.email)
    token_login(client_at(app, AU), user.email, "wrong-password-9")
    token_login(client_at(app, "10.0.0.7"), "nobody@example.com", "wrong-password-9")
    stored = db.session.execute(select(LoginAttempt.ip, LoginAttempt.country)).all()
    assert sorted(stored) == sorted([(GB, "GB"), (AU, "AU"), ("10.0.0.7", "")])
    rows = db.session.execute(
        select(
            LoginCountryStat.user_key,
            LoginCountryStat.country,
            LoginCountryStat.successes,
            LoginCountryStat.failures,
        ).order_by(LoginCountryStat.user_key, LoginCountryStat.country)
    ).all()
    assert rows == [
        (EVERYONE_KEY, "", 0, 1),
        (EVERYONE_KEY, "AU", 0, 1),
        (EVERYONE_KEY, "GB", 1, 0),
        (0, "", 0, 1),
        (user.id, "AU", 0, 1),
        (user.id, "GB", 1, 0),
    ]
    before = db.session.execute(select(LoginCountryStat.__table__)).all()
    rebuild_rollups()
    db.session.commit()
    assert sorted(db.session.execute(select(LoginCountryStat.__table__)).all()) == sorted(before)


def test_the_dashboards_show_country_names_and_codes(app, db, user_factory):
    user = user_factory()
    admin = user_factory(role="admin")
    token_login(client_at(app, JP), user.email, "wrong-password-9")
    web = client_at(app, GB)
    assert login(web, user.email).status_code == 302
    page = web.get("/dashboard/").get_data(as_text=True)
    assert 'id="countries"' in page
    assert "Japan (JP)" in page and "United Kingdom (GB)" in page  # the list and the table
    admin_web = client_at(app, US)
    assert login(admin_web, admin.email).status_code == 302
    overview = admin_web.get("/dashboard/admin/").get_data(as_text=True)
    assert "Japan (JP)" in overview and "United States (US)" in overview
    drill = admin_web.get(f"/dashboard/admin/users/{user.id}/").get_data(as_text=True)
    assert "Japan (JP)" in drill
    back_office = admin_web.get("/admin/admin_attempts/?flt0_country_equals=JP")
    listing = back_office.get_data(as_text=True)
    assert back_office.status_code == 200 and "133.0.0.1" in listing
    assert re.search(r"col-country\"[^>]*>\s*JP\s*<", listing)


def test_everyones_country_rows_are_sharded_folded_and_added_up(app, db, user_factory, monkeypatch):
    """As with everyone's other rollups: on a server database everyone's count of a country
    for the open UTC day goes to the shard its attempt's microseconds pick (SQLite keeps one
    shard); the first attempt after the day has closed folds its shards into shard 0. The
    admin dashboard's country table adds the shards up all along, and a rebuild from the raw
    attempts finds nothing to change."""
    from datetime import timedelta

    from tests.analytics_data import add_attempts
    from tests.security_helpers import FIREFOX
    from webapp.models.login_attempt import EVERYONE_SHARDS
    from webapp.services import tracking

    monkeypatch.setattr(tracking, "_FOLDED", {})
    shards = 1 if db.engine.dialect.name == "sqlite" else EVERYONE_SHARDS
    admin = user_factory(role="admin")
    now = tracking.utcnow()
    sent = 2 * EVERYONE_SHARDS
    add_attempts(
        [
            (admin.id, now.replace(microsecond=n), ok, FIREFOX, reason, "password", JP)
            for n in range(sent)
            for ok, reason in [(True, "ok") if n % 2 == 0 else (False, "bad_credentials")]
        ]
    )

    def everyone_in_japan():
        return sorted(
            db.session.execute(
                select(
                    LoginCountryStat.shard,
                    LoginCountryStat.successes + LoginCountryStat.failures,
                ).where(
                    LoginCountryStat.user_key == EVERYONE_KEY,
                    LoginCountryStat.day == geo.day_of(now),
                    LoginCountryStat.country == "JP",
                )
            ).all()
        )

    def japan_on_the_admin_page(web):
        page = web.get("/dashboard/admin/").get_data(as_text=True)
        row = re.search(r"Japan \(JP\)</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)<", page)
        return int(row[1]), int(row[2])

    assert everyone_in_japan() == [(n, sent // shards) for n in range(shards)]
    web = client_at(app, JP)
    assert login(web, admin.email).status_code == 302  # one more attempt, from Japan
    assert japan_on_the_admin_page(web) == (sent // 2 + 1, sent // 2)
    tomorrow = geo.day_of(now) + timedelta(days=1, minutes=1)
    monkeypatch.setattr(tracking, "utcnow", lambda: tomorrow)
    assert login(client_at(app, JP), admin.email).status_code == 302  # folds the closed day
    db.session.expire_all()
    assert everyone_in_japan() == [(0, sent + 2)]
    assert japan_on_the_admin_page(web) == (sent // 2 + 2, sent // 2)
    changes = rebuild_rollups()
    db.session.commit()
    assert changes["country_rows_changed"] == 0
    assert changes["country_rows_added"] == changes["country_rows_removed"] == 0
