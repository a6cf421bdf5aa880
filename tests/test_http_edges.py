"""HTTP at its edges: Flask-Admin page numbers, 405's Allow header, the Authorization scheme."""

import pytest

from tests.api_helpers import BASE, bearer, tokens_for

ADMIN_VIEWS = ["admin_users", "admin_attempts", "admin_sessions", "admin_events", "admin_audit"]
BAD_PAGES = [
    "page=-1",
    "page=-99999999999999999999",
    "page=99999999999999999999",
    "page=1e3",
    "page=99999999999999999999&page_size=99999999999999999999",
    "page=-1&sort=99999999999999999999&desc=-99999999999999999999",
]


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


@pytest.mark.parametrize("query", BAD_PAGES)
@pytest.mark.parametrize("view", ADMIN_VIEWS)
def test_admin_lists_clamp_any_page_number(client, actor, user_factory, view, query):
    user_factory()
    actor("admin")
    r = client.get(f"/admin/{view}/?{query}")
    assert r.status_code == 200, r.status_code


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("put", "/auth/login", {"GET", "POST"}),
        ("delete", BASE + "/token/", {"POST"}),
        ("post", BASE + "/public-key/", {"GET"}),
        ("patch", "/dashboard/", {"GET"}),
    ],
)
def test_405_keeps_its_allow_header(client, method, path, allowed):
    r = getattr(client, method)(path)
    assert r.status_code == 405
    assert allowed <= {m.strip() for m in r.headers["Allow"].split(",")}


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "JWT", "jwt", "Jwt"])
def test_the_authorization_scheme_is_case_insensitive(app, user_factory, scheme):
    client = app.test_client()
    access = tokens_for(client, user_factory())["access"]
    r = app.test_client().get(f"{BASE}/me/", headers=bearer(access, scheme))
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("scheme", ["Basic", "Bearerx", "Token"])
def test_other_schemes_are_refused(app, user_factory, scheme):
    access = tokens_for(app.test_client(), user_factory())["access"]
    r = app.test_client().get(f"{BASE}/me/", headers=bearer(access, scheme))
    assert (r.status_code, r.json) == (401, {"message": "Token is invalid or expired"})
