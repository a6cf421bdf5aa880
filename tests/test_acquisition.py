"""Acquisition: sign-ups per source, verified and 7-day shares, on the page and the API."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from tests.api_helpers import BASE, api_login, bearer, tokens_for
from tests.helpers import PASSWORD, login
from webapp.models import User, utcnow
from webapp.services.analytics import parse_window, resolve_timezone

ROLES = [None, "user", "staff", "admin"]
ACQ = f"{BASE}/admin/charts/acquisition/"
PAGE = "/dashboard/admin/acquisition/"


def sign_up(client, name: str, **keys):
    body = {
        "username": name,
        "email": f"{name}@example.com",
        "password": PASSWORD,
        "passwordRepeat": PASSWORD,
        **keys,
    }
    response = client.post(f"{BASE}/create/", json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def signups(app, client, db):
    """Five sign-ups: three from a Facebook campaign (two verified, one of them back within
    7 days), one from Google (verified, back after 10 days), one direct."""
    campaign = {"utm_source": "facebook", "utm_campaign": "Spring"}
    ids = {
        "fb1": sign_up(client, "fb_one", **campaign),
        "fb2": sign_up(client, "fb_two", **campaign),
        "fb3": sign_up(client, "fb_three", **campaign),
        "google": sign_up(client, "goo_gle", referrer="https://www.google.com/"),
        "direct": sign_up(client, "dir_ect"),
    }
    now = utcnow()
    for key in ("fb1", "fb2", "google"):
        db.session.execute(update(User).where(User.id == ids[key]).values(email_verified_at=now))
    db.session.commit()
    api_login(client, "fb_one@example.com")  # back on the day of sign-up
    api_login(client, "goo_gle@example.com")  # back now, but it signed up 10 days ago
    db.session.execute(
        update(User).where(User.id == ids["google"]).values(created_at=now - timedelta(days=10))
    )
    db.session.commit()
    return ids


def staff_headers(client, user_factory):
    return bearer(tokens_for(client, user_factory(role="staff"))["access"])


def test_api_counts_sign_ups_per_source_and_the_shares(client, user_factory, signups):
    response = client.get(ACQ, headers=staff_headers(client, user_factory))
    assert response.status_code == 200
    body = response.json
    totals = {d["label"]: sum(d["data"]) for d in body["sources"]["datasets"]}
    # the staff member made for the request is a direct (test) sign-up too
    assert totals["Facebook – Spring"] == 3 and totals["Google"] == 1
    assert totals["API registration"] == 1
    assert len(body["sources"]["labels"]) == 30  # the default window, one label a day
    for dataset in body["sources"]["datasets"] + body["verified_ratio"]["datasets"]:
        assert dataset["backgroundColor"].startswith("#") and dataset["borderColor"]
    ratio = body["verified_ratio"]
    shares = dict(
        zip(ratio["labels"], zip(*(d["data"] for d in ratio["datasets"]), strict=True), strict=True)
    )
    assert shares["Facebook – Spring"] == (66.7, 33.3)
    assert shares["Google"] == (100.0, 0.0)  # signed in 10 days after signing up
    assert shares["API registration"] == (0.0, 0.0)


def test_api_window_leaves_out_older_sign_ups(client, user_factory, signups):
    today = utcnow().date()
    start = (today - timedelta(days=2)).isoformat()
    response = client.get(
        ACQ, query_string={"start_date": start}, headers=staff_headers(client, user_factory)
    )
    names = [d["label"] for d in response.json["sources"]["datasets"]]
    assert "Google" not in names and "Facebook – Spring" in names


@pytest.mark.parametrize(
    "query, message",
    [
        ({"start_date": "2026-13-01"}, "YYYY-MM-DD"),
        ({"start_date": "2026-02-01", "end_date": "2026-01-01"}, ""),
    ],
)
def test_api_bad_dates_are_400(client, user_factory, query, message):
    response = client.get(ACQ, query_string=query, headers=staff_headers(client, user_factory))
    assert response.status_code == 400 and message in response.json["error"]


@pytest.mark.parametrize("role, expected", list(zip(ROLES, (401, 403, 200, 200), strict=True)))
def test_api_access(client, user_factory, role, expected):
    headers = {}
    if role:
        headers = bearer(tokens_for(client, user_factory(role=role))["access"])
    assert client.get(ACQ, headers=headers).status_code == expected


@pytest.mark.parametrize("role, expected", list(zip(ROLES, (302, 403, 200, 200), strict=True)))
def test_page_access(client, actor, role, expected):
    actor(role)
    assert client.get(PAGE).status_code == expected


def test_page_shows_the_table_figures_and_presets(client, actor, signups):
    actor("staff")
    html = client.get(PAGE).get_data(as_text=True)
    assert 'id="sources-table"' in html and "Facebook – Spring" in html
    assert '"chart-acquisition"' in html and '"chart-acquisition-shares"' in html
    assert (
        html.count('class="btn btn-outline-primary preset"')
        + html.count('class="btn btn-primary preset"')
        == 4
    )
    assert 'id="acq-total">6<' in html  # five sign-ups and the staff member


@pytest.mark.parametrize(
    "sort, first",
    [
        ("-signups", "Facebook"),
        ("name", "API registration"),
        ("-returned_share", "Website registration"),  # the staff member signed in
        ("returned_share", "API registration"),
        ("-verified_share", "Google"),  # 100 %, tied with the staff member: by name
        ("bogus", "Facebook"),
    ],
)
def test_page_table_sorts_by_each_column(client, actor, signups, sort, first):
    actor("staff")
    html = client.get(PAGE, query_string={"sort": sort}).get_data(as_text=True)
    table = html.split('id="sources-table"')[1]
    assert table.split("<tbody>")[1].split("<td>")[1].startswith(first)


def test_page_bad_range_is_400_with_the_page(client, actor):
    actor("staff")
    response = client.get(PAGE, query_string={"start_date": "nope"})
    assert response.status_code == 400 and 'id="range-error"' in response.get_data(as_text=True)


def test_admin_page_links_to_acquisition(client, actor):
    actor("staff")
    assert 'id="acquisition-link"' in client.get("/dashboard/admin/").get_data(as_text=True)


def test_queries_do_not_grow_with_sign_ups_or_read_attempts(app, client, db, user_factory):
    from webapp.extensions import db as ext_db
    from webapp.services.acquisition import acquisition

    def statements(n_users: int) -> list[str]:
        for _ in range(n_users):
            user = user_factory()
            for _ in range(3):
                login(client, user.email, "wrong-password")  # attempts do not count
        seen: list[str] = []
        with app.app_context():
            engine = ext_db.engine

            def record(conn, cursor, statement, *args):
                seen.append(statement)

            event.listen(engine, "before_cursor_execute", record)
            try:
                window = parse_window(None, None, resolve_timezone("UTC"))
                acquisition(window)
            finally:
                event.remove(engine, "before_cursor_execute", record)
        return seen

    few, more = statements(2), statements(20)
    assert len(few) == len(more) == 3  # sign-ups, their sign-ins (rollup), the sources
    assert not any("login_attempts" in s for s in more)
    assert "users.created_at >=" in more[0]


def test_merging_sources_regroups_history(client, db, user_factory, signups, actor):
    """Renaming or merging is one edit: the chart follows it at once."""
    from tests.helpers import csrf_token
    from webapp.models import RegistrationSource

    google = db.session.execute(
        select(RegistrationSource).where(RegistrationSource.name == "Google")
    ).scalar_one()
    facebook = db.session.execute(
        select(RegistrationSource).where(RegistrationSource.name == "Facebook – Spring")
    ).scalar_one()
    actor("admin")
    token = csrf_token(client, "/admin/admin_sources/")
    client.post(
        "/admin/admin_sources/action/",
        data={"csrf_token": token, "action": "merge", "rowid": [str(google.id), str(facebook.id)]},
    )
    html = client.get(PAGE).get_data(as_text=True)
    assert "Facebook – Spring" in html and ">Google<" not in html


def test_long_windows_count_per_month(client, user_factory, signups):
    today = utcnow().date()
    start = (today - timedelta(days=200)).isoformat()
    response = client.get(
        ACQ, query_string={"start_date": start}, headers=staff_headers(client, user_factory)
    )
    labels = response.json["sources"]["labels"]
    assert labels[0] == start[:7] and labels[-1] == today.isoformat()[:7]
    assert len(labels) in (7, 8)
    totals = {d["label"]: sum(d["data"]) for d in response.json["sources"]["datasets"]}
    assert totals["Google"] == 1 and totals["Facebook – Spring"] == 3
