"""Registration sources: categorisation rules, the web landing kept to sign-up, API body keys,
and renaming or merging sources in the back office."""

import re

import pytest
from sqlalchemy import func, select

from tests.helpers import PASSWORD, csrf_token
from webapp.models import AdminAudit, RegistrationSource, User
from webapp.services.sources import Landing, categorise, referrer_host

BASE = "/api/user"
GOOD = {
    "username": "alice_w",
    "email": "alice@example.com",
    "password": PASSWORD,
    "password_repeat": PASSWORD,
}
HIDDEN_RE = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page, as a browser would submit them."""
    fields = {}
    for tag in HIDDEN_RE.findall(html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def source_of(db, email: str) -> RegistrationSource:
    user = db.session.execute(select(User).where(User.email == email)).scalar_one()
    return db.session.get(RegistrationSource, user.source_id)


# ---------------------------------------------------------------- the rules table

RULES = [
    # (landing keys, channel) -> (category, name)
    ({}, "web", "direct", "Website registration"),
    ({}, "api", "direct", "API registration"),
    ({}, "admin", "direct", "Created by an admin"),
    (
        {"utm_source": "facebook", "utm_campaign": "Spring campaign"},
        "web",
        "campaign",
        "Facebook – Spring campaign",
    ),
    (
        {"utm_source": "fb", "utm_medium": "social", "utm_campaign": "Spring"},
        "web",
        "campaign",
        "Facebook – Spring",
    ),
    ({"utm_campaign": "Launch"}, "web", "campaign", "Launch"),
    ({"utm_source": "google", "utm_medium": "cpc"}, "web", "campaign", "Google – cpc"),
    ({"utm_source": "mailchimp", "utm_medium": "email"}, "web", "campaign", "mailchimp – email"),
    ({"referrer_host": "google.com"}, "web", "search", "Google"),
    ({"referrer_host": "google.co.uk"}, "web", "search", "Google"),
    ({"referrer_host": "bing.com"}, "web", "search", "Bing"),
    ({"referrer_host": "duckduckgo.com"}, "api", "search", "DuckDuckGo"),
    ({"utm_source": "google"}, "web", "search", "Google"),
    ({"referrer_host": "l.facebook.com"}, "web", "social", "Facebook"),
    ({"referrer_host": "t.co"}, "web", "social", "X (Twitter)"),
    ({"referrer_host": "x.com"}, "web", "social", "X (Twitter)"),
    ({"referrer_host": "linkedin.com"}, "web", "social", "LinkedIn"),
    ({"referrer_host": "instagram.com"}, "web", "social", "Instagram"),
    ({"referrer_host": "old.reddit.com"}, "web", "social", "Reddit"),
    ({"utm_source": "ig"}, "web", "social", "Instagram"),
    ({"referrer_host": "example.org"}, "web", "referral", "example.org"),
    ({"utm_source": "Partner Blog"}, "web", "referral", "Partner Blog"),
    # a host that merely contains a known name is not that platform
    ({"referrer_host": "googleish.example"}, "web", "referral", "googleish.example"),
]


@pytest.mark.parametrize("keys, channel, category, name", RULES)
def test_categorisation_rules(keys, channel, category, name):
    found = categorise(Landing(**keys), channel)
    assert (found.category, found.name) == (category, name)


def test_same_platform_and_campaign_share_a_key_whatever_the_case():
    a = categorise(Landing(utm_source="Facebook", utm_campaign="Spring"))
    b = categorise(Landing(utm_source="fb", utm_campaign="SPRING"))
    assert a.key == b.key
    assert a.key != categorise(Landing(utm_source="facebook", utm_campaign="Autumn")).key


@pytest.mark.parametrize(
    "raw, host",
    [
        ("https://www.Google.com/search?q=doorman", "google.com"),
        ("google.com", "google.com"),
        ("http://example.org:8080/a", "example.org"),
        ("https://bücher.de/", "xn--bcher-kva.de"),
        ("ftp://example.org/", ""),
        ("http://[::1]/", ""),
        ("https://exa mple.org/", ""),
        ("", ""),
        (None, ""),
        (42, ""),
        ("x" * 3000, ""),
    ],
)
def test_referrer_host(raw, host):
    assert referrer_host(raw) == host


# ---------------------------------------------------------------- the web sign-up


def test_utm_landing_is_kept_across_a_resubmission(client, db):
    page = client.get(
        "/auth/register?utm_source=facebook&utm_medium=social&utm_campaign=Spring+campaign",
        headers={"Referer": "https://l.facebook.com/"},
    ).get_data(as_text=True)
    fields = hidden_fields(page)
    assert fields["utm_campaign"] == "Spring campaign" and fields["referrer"] == "l.facebook.com"
    # The first try fails; the page drawn again carries the landing on.
    again = client.post("/auth/register", data={**fields, **GOOD, "password_repeat": "nope"})
    assert again.status_code == 400
    fields = hidden_fields(again.get_data(as_text=True))
    assert fields["utm_source"] == "facebook" and fields["utm_campaign"] == "Spring campaign"
    done = client.post("/auth/register", data={**fields, **GOOD})
    assert done.status_code == 302
    source = source_of(db, "alice@example.com")
    assert (source.name, source.category) == ("Facebook – Spring campaign", "campaign")
    assert (source.utm_medium, source.referrer_host) == ("social", "l.facebook.com")
    user = db.session.execute(select(User)).scalar_one()
    assert user.registration_source == "web"  # the channel is kept apart


def test_landing_on_any_page_is_remembered_for_a_later_sign_up(client, db):
    client.get("/?utm_source=newsletter&utm_campaign=November")
    client.get("/auth/login", headers={"Referer": "https://other.example/"})  # kept: UTM first
    page = client.get("/auth/register").get_data(as_text=True)
    assert hidden_fields(page)["utm_campaign"] == "November"
    client.post("/auth/register", data={**hidden_fields(page), **GOOD})
    assert source_of(db, "alice@example.com").name == "newsletter – November"


def test_outside_referrer_is_remembered_but_own_pages_are_not(client, db):
    client.get("/", headers={"Referer": "https://www.google.com/search?q=doorman"})
    client.get("/auth/login", headers={"Referer": "http://localhost/"})
    page = client.get("/auth/register", headers={"Referer": "http://localhost/auth/login"})
    client.post("/auth/register", data={**hidden_fields(page.get_data(as_text=True)), **GOOD})
    assert source_of(db, "alice@example.com").name == "Google"


def test_direct_sign_ups_share_the_website_source(client, db):
    client.post("/auth/register", data={"csrf_token": csrf_token(client, "/auth/register"), **GOOD})
    other = {**GOOD, "username": "bob_b", "email": "bob@example.com"}
    client.post(
        "/auth/register", data={"csrf_token": csrf_token(client, "/auth/register"), **other}
    )
    a, b = source_of(db, "alice@example.com"), source_of(db, "bob@example.com")
    assert a.id == b.id and a.name == "Website registration" and a.category == "direct"


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=" + "a" * 500,
        "utm_campaign=%3Cscript%3E",
        "utm_source=%00%01",
        "utm_source=a&utm_source=b&utm_medium[]=x",
    ],
)
def test_odd_landing_values_are_dropped_not_fatal(client, db, query):
    page = client.get(f"/auth/register?{query}")
    assert page.status_code == 200
    fields = hidden_fields(page.get_data(as_text=True))
    done = client.post("/auth/register", data={**fields, **GOOD, "utm_source": "x" * 5000})
    assert done.status_code == 302
    assert len(source_of(db, "alice@example.com").key) <= 191


# ---------------------------------------------------------------- the API


def test_api_create_records_the_body_keys(client, db):
    body = {
        "username": "alice_w",
        "email": "alice@example.com",
        "password": PASSWORD,
        "passwordRepeat": PASSWORD,
        "utm_source": "linkedin",
        "utm_medium": "social",
        "utm_campaign": "Hiring 2026",
        "referrer": "https://www.linkedin.com/feed/",
    }
    response = client.post(f"{BASE}/create/", json=body)
    assert response.status_code == 201
    source = source_of(db, "alice@example.com")
    assert source.name == "LinkedIn – Hiring 2026" and source.referrer_host == "linkedin.com"
    user = db.session.execute(select(User)).scalar_one()
    assert user.registration_source == "api"


def test_api_create_without_keys_is_an_api_registration(client, db):
    body = {
        "username": "alice_w",
        "email": "alice@example.com",
        "password": PASSWORD,
        "passwordRepeat": PASSWORD,
    }
    assert client.post(f"{BASE}/create/", json=body).status_code == 201
    assert source_of(db, "alice@example.com").name == "API registration"


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"utm_source": "x" * 101}, "utm_source"),
        ({"utm_medium": 5}, "utm_medium"),
        ({"utm_campaign": ["a"]}, "utm_campaign"),
        ({"utm_campaign": "<script>"}, "utm_campaign"),
        ({"referrer": "javascript://alert(1)"}, "referrer"),
        ({"referrer": 12}, "referrer"),
    ],
)
def test_api_create_refuses_bad_source_keys(client, db, changes, key):
    body = {
        "username": "alice_w",
        "email": "alice@example.com",
        "password": PASSWORD,
        "passwordRepeat": PASSWORD,
        **changes,
    }
    response = client.post(f"{BASE}/create/", json=body)
    assert response.status_code == 400
    assert list(response.json) == [key]
    assert db.session.scalar(select(func.count(User.id))) == 0


# ---------------------------------------------------------------- the back office


def _sources_with_users(db, user_factory):
    """Two sources, three users: returns (facebook, fb) source ids."""
    from webapp.services import sources

    ids = []
    for landing, n in ((Landing(utm_source="facebook"), 2), (Landing(utm_source="fb-ads"), 1)):
        source = sources.source_for(landing)
        db.session.commit()
        ids.append(source.id)
        for _ in range(n):
            user = user_factory()
            db.session.execute(
                User.__table__.update().where(User.id == user.id).values(source_id=source.id)
            )
            db.session.commit()
    return ids


def test_admin_renames_a_source_and_it_is_audited(client, db, actor, user_factory):
    [facebook, _] = _sources_with_users(db, user_factory)
    actor("admin")
    page = f"/admin/admin_sources/edit/?id={facebook}"
    token = csrf_token(client, page)
    response = client.post(
        page, data={"csrf_token": token, "name": "Facebook – organic", "category": "social"}
    )
    assert response.status_code == 302
    assert db.session.get(RegistrationSource, facebook).name == "Facebook – organic"
    audit = db.session.execute(select(AdminAudit)).scalars().all()
    assert [a.action for a in audit] == ["edit"]


def test_admin_merges_sources_into_the_biggest(client, db, actor, user_factory):
    facebook, fb = _sources_with_users(db, user_factory)
    actor("admin")
    token = csrf_token(client, "/admin/admin_sources/")
    response = client.post(
        "/admin/admin_sources/action/",
        data={"csrf_token": token, "action": "merge", "rowid": [str(facebook), str(fb)]},
    )
    assert response.status_code == 302
    assert db.session.get(RegistrationSource, fb) is None
    counts = db.session.execute(
        select(User.source_id, func.count())
        .where(User.source_id.in_([facebook, fb]))
        .group_by(User.source_id)
    ).all()
    assert counts == [(facebook, 3)]
    [audit] = (
        db.session.execute(select(AdminAudit).where(AdminAudit.action == "merge_sources"))
        .scalars()
        .all()
    )
    assert audit.target_id == str(facebook) and "1 user(s) moved" in audit.details


def test_staff_may_list_sources_but_not_merge(client, db, actor, user_factory):
    facebook, fb = _sources_with_users(db, user_factory)
    actor("staff")
    assert client.get("/admin/admin_sources/").status_code == 200
    token = csrf_token(client, "/admin/admin_sources/")
    client.post(
        "/admin/admin_sources/action/",
        data={"csrf_token": token, "action": "merge", "rowid": [str(facebook), str(fb)]},
    )
    assert db.session.get(RegistrationSource, fb) is not None


@pytest.mark.parametrize(
    "role, expected", [(None, 302), ("user", 403), ("staff", 200), ("admin", 200)]
)
def test_sources_list_access(client, actor, role, expected):
    actor(role)
    assert client.get("/admin/admin_sources/").status_code == expected


def test_migration_gives_existing_users_the_source_of_their_channel(tmp_path):
    """0009 backfills: each channel's users point at that channel's direct source."""
    from datetime import datetime

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from tests.test_migrations import _clear_schema, _fresh_app, _restore_schema
    from webapp.extensions import db as ext_db

    app = _fresh_app(tmp_path)
    with app.app_context():
        try:
            _clear_schema()
            upgrade(revision="0006")
            with ext_db.engine.begin() as conn:
                for n, channel in enumerate(["web", "web", "api", "admin", "demo", "cli"]):
                    conn.execute(
                        sa.text(
                            "INSERT INTO users (email, username, role, is_active, created_at, "
                            "login_count, registration_source) VALUES "
                            "(:e, :u, 'user', 1, :t, 0, :c)"
                        ),
                        {
                            "e": f"u{n}@example.com",
                            "u": f"user{n}",
                            "t": datetime(2026, 1, 1),
                            "c": channel,
                        },
                    )
            upgrade()
            with ext_db.engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT u.registration_source, s.name, s.category, s.key FROM users u "
                        "JOIN registration_sources s ON s.id = u.source_id ORDER BY u.id"
                    )
                ).all()
            assert [(r[0], r[1]) for r in rows] == [
                ("web", "Website registration"),
                ("web", "Website registration"),
                ("api", "API registration"),
                ("admin", "Created by an admin"),
                ("demo", "Demo data"),
                ("cli", "Created on the command line"),
            ]
            # the keys are the ones new sign-ups look up
            assert rows[0][3] == categorise(Landing(), "web").key
            assert {r[2] for r in rows} == {"direct"}
        finally:
            _restore_schema()


def test_merging_one_source_asks_for_two(client, db, actor, user_factory):
    facebook, fb = _sources_with_users(db, user_factory)
    actor("admin")
    token = csrf_token(client, "/admin/admin_sources/")
    response = client.post(
        "/admin/admin_sources/action/",
        data={"csrf_token": token, "action": "merge", "rowid": [str(fb)]},
        follow_redirects=True,
    )
    assert "Select at least two sources to merge." in response.get_data(as_text=True)
    assert db.session.get(RegistrationSource, fb) is not None
    assert db.session.scalar(select(func.count(AdminAudit.id))) == 0
