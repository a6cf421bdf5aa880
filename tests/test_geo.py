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
