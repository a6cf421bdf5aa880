"""The OpenAPI document through HTTP: one tag per area, the shared error answers documented."""

import re
from pathlib import Path

import pytest

AREAS = {"auth", "profile", "users", "analytics", "admin", "docs", "health"}


@pytest.fixture
def spec(client):
    r = client.get("/api/schema/")
    assert r.status_code == 200
    return r.get_json()


def operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method.upper(), op


def test_every_operation_has_exactly_one_area_tag_and_no_default_group(spec):
    assert [t["name"] for t in spec["tags"]] == [
        "auth",
        "profile",
        "users",
        "analytics",
        "admin",
        "docs",
        "health",
    ]
    used = set()
    for path, method, op in operations(spec):
        assert len(op.get("tags", [])) == 1, f"{method} {path}: {op.get('tags')}"
        used.update(op["tags"])
    assert used == AREAS


@pytest.mark.parametrize(
    "method, path, tag",
    [
        ("POST", "/api/user/token/", "auth"),
        ("POST", "/api/user/create/", "auth"),
        ("GET", "/api/user/me/", "profile"),
        ("GET", "/api/user/users/", "users"),
        ("GET", "/api/user/users/{user_id}/", "users"),
        ("GET", "/api/user/dashboard/stats/", "analytics"),
        ("GET", "/api/user/{user_id}/dashboard/stats/", "analytics"),
        ("GET", "/api/user/admin/dashboard/", "admin"),
        ("GET", "/api/schema/", "docs"),
        ("GET", "/api/health/", "health"),
    ],
)
def test_paths_land_in_their_area(spec, method, path, tag):
    assert spec["paths"][path][method.lower()]["tags"] == [tag]


@pytest.mark.parametrize(
    "method, path, codes",
    [
        ("POST", "/api/user/token/", {"400", "429"}),
        ("POST", "/api/user/create/", {"400", "429"}),
        ("POST", "/api/user/password-reset/", {"400", "429"}),
        ("GET", "/api/user/me/", {"401"}),
        ("GET", "/api/user/users/{user_id}/", {"400", "401", "403"}),
        ("GET", "/api/user/dashboard/charts/trends/", {"400", "401", "403"}),
        ("GET", "/api/user/admin/dashboard/", {"400", "401", "403"}),
    ],
)
def test_error_answers_are_documented(spec, method, path, codes):
    responses = spec["paths"][path][method.lower()]["responses"]
    assert codes <= set(responses)
    for code in codes:
        assert responses[code]["description"] not in {"Error", "FieldErrors", "Forbidden"}
    if "429" in codes:
        assert "Retry-After" in responses["429"]["headers"]
        assert "RateLimited" in responses["429"]["content"]["application/json"]["schema"]["$ref"]


def test_public_endpoints_do_not_claim_a_401(spec):
    for path in ("/api/user/token/", "/api/user/create/", "/api/user/public-key/"):
        for op in spec["paths"][path].values():
            assert "401" not in op["responses"]


def test_the_repository_documents_every_path_the_api_serves(spec):
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    assert "](docs/api.md)" in readme
    text = (root / "docs" / "api.md").read_text()
    missing = []
    for path in spec["paths"]:
        short = path.removeprefix("/api/user/") if path.startswith("/api/user/") else path
        short = re.sub(r"\{(?!token\})[a-z_]+\}", "<id>", short).replace("{token}", "<token>")
        if f"`{short}`" not in text and f" {short}" not in text:
            missing.append(short)
    assert missing == []
