"""API profile, users and dashboard endpoints: contract shapes, permissions, bad input."""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from tests.analytics_data import add_attempts
from tests.api_helpers import BASE, bearer, tokens_for
from webapp.models import User, utcnow

FORBIDDEN = {"detail": "You do not have permission to perform this action."}


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


@pytest.fixture
def people(app, user_factory):
    """A regular user, a staff member and an admin, with headers, and some history."""
    regular = user_factory(username="regular1", email="regular@example.com")
    staff = user_factory(username="staffer1", email="staff@example.com", role="staff")
    admin = user_factory(username="admin001", email="admin@example.com", role="admin")
    now = utcnow() - timedelta(hours=1)
    with app.app_context():
        add_attempts([(regular.id, now - timedelta(days=d), d % 3 != 0) for d in range(10)])
    client = app.test_client()
    heads = {
        name: bearer(tokens_for(client, u)["access"])
        for name, u in (("user", regular), ("staff", staff), ("admin", admin))
    }
    return {"user": regular, "staff": staff, "admin": admin, "headers": heads}


def get(app, path, who, people, **kw):
    headers = people["headers"][who] if who else {}
    return app.test_client().get(path, headers=headers, **kw)


# ------------------------------------------------------------------ permission matrix

ROUTES = [
    ("/me/", (401, 200, 200, 200)),
    ("/users/", (401, 403, 200, 200)),
    ("/users/{other}/", (401, 403, 200, 200)),
    ("/users/999999/", (401, 403, 404, 404)),
    ("/dashboard/stats/", (401, 200, 200, 200)),
    ("/{other}/dashboard/stats/", (401, 403, 200, 200)),
    ("/999999/dashboard/stats/", (401, 403, 404, 404)),
    ("/dashboard/login-activity/", (401, 200, 200, 200)),
    ("/{other}/dashboard/login-activity/", (401, 403, 200, 200)),
    ("/dashboard/charts/trends/", (401, 200, 200, 200)),
    ("/dashboard/charts/trends/?role=admin", (401, 403, 200, 200)),
    ("/dashboard/charts/trends/?user_ids[]={other}", (401, 403, 200, 200)),
    ("/dashboard/charts/comparison/", (401, 200, 200, 200)),
    ("/dashboard/charts/distribution/?user_ids[]={other}", (401, 403, 200, 200)),
    ("/admin/dashboard/", (401, 403, 200, 200)),
    ("/admin/charts/", (401, 403, 200, 200)),
    ("/admin/dashboard/users/stats/", (401, 403, 200, 200)),
    ("/dashboard/report/download/", (401, 200, 200, 200)),
    ("/dashboard/report/download/?mode=grouped", (401, 403, 200, 200)),
    ("/dashboard/report/download/?user_ids[]={other}", (401, 403, 200, 200)),
    ("/dashboard/report/download/?selected_user_id={other}", (401, 403, 200, 200)),
]
ROLES = [None, "user", "staff", "admin"]


@pytest.mark.parametrize(
    "path, role, expected", [(p, r, codes[i]) for p, codes in ROUTES for i, r in enumerate(ROLES)]
)
def test_permission_matrix(app, people, path, role, expected):
    other = people["admin"].id if role != "admin" else people["staff"].id
    r = get(app, BASE + path.format(other=other), role, people)
    assert r.status_code == expected
    if expected == 401:
        assert r.json == {"message": "Token is invalid or expired"}
    if expected == 403 and "role=" not in path and "user_ids" not in path:
        assert r.json == FORBIDDEN


def test_chart_parameter_error_order(app, people):
    def err(query, who="user"):
        r = get(app, f"{BASE}/dashboard/charts/trends/?{query}", who, people)
        return r.status_code, r.json

    assert err("start_date=bad&role=admin") == (
        400,
        {"error": "Invalid date format. Use YYYY-MM-DD format."},
    )
    assert err("role=admin&user_ids[]=1") == (
        403,
        {"error": "Admin permissions required to filter by role."},
    )
    assert err("user_ids[]=x") == (403, {"error": "Only admin users can specify user IDs."})
    assert err("user_ids[]=x", "staff") == (
        400,
        {"error": "Invalid user_ids format. Must be integers."},
    )
    assert err("user_ids[]=999999", "staff") == (400, {"error": "One or more user IDs not found."})
    assert err("role=boss", "staff") == (
        400,
        {"error": 'Invalid role. Must be "admin" or "regular".'},
    )
    assert err("start_date=2026-03-02&end_date=2026-03-01") == (
        400,
        {"error": "start_date must not be after end_date."},
    )


# ------------------------------------------------------------------ profile and users


def test_me_and_profile_updates(app, people, db):
    h = people["headers"]["user"]
    client = app.test_client()
    assert client.get(f"{BASE}/me/", headers=h).json == {
        "id": people["user"].id,
        "username": "regular1",
        "email": "regular@example.com",
        "image": None,
    }
    r = client.patch(f"{BASE}/me/", json={"username": "regular1"}, headers=h)
    assert r.status_code == 200  # your current username is fine
    r = client.patch(
        f"{BASE}/me/", json={"username": "renamed1", "timezone": "Asia/Kolkata"}, headers=h
    )
    assert r.json["username"] == "renamed1"
    r = client.patch(f"{BASE}/me/", json={"email": "new@example.com"}, headers=h)
    assert r.status_code == 400 and "email" in r.json
    r = client.put(f"{BASE}/me/", json={"timezone": "UTC"}, headers=h)
    assert r.status_code == 200 and r.json["username"] == "renamed1"  # PUT is partial too
    r = client.patch(f"{BASE}/me/", json={"username": "staffer1"}, headers=h)
    assert r.json == {"username": ["Username already exists"]}


def _png(size=(600, 300)):
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def test_me_image_upload_and_clear(app, people):
    h = people["headers"]["user"]
    client = app.test_client()
    r = client.patch(
        f"{BASE}/me/",
        data={"image": (io.BytesIO(_png()), "a.png")},
        headers=h,
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and r.json["image"].startswith("/media/avatars/")
    served = client.get(r.json["image"])
    assert served.status_code == 200 and Image.open(io.BytesIO(served.data)).size == (512, 256)
    bad = client.patch(
        f"{BASE}/me/",
        data={"image": (io.BytesIO(b"text"), "a.png")},
        headers=h,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and bad.json == {
        "image": ["Invalid image format. Only JPG, JPEG, and PNG are allowed."]
    }
    big = client.patch(
        f"{BASE}/me/",
        data={"image": (io.BytesIO(b"0" * (2 * 1024 * 1024 + 1)), "a.png")},
        headers=h,
        content_type="multipart/form-data",
    )
    assert big.json == {"image": ["Image size cannot exceed 2097152 bytes."]}
    cleared = client.patch(f"{BASE}/me/", json={"image": None}, headers=h)
    assert cleared.json["image"] is None and client.get(r.json["image"]).status_code == 404


def test_users_list_pagination_and_filters(app, people, user_factory):
    for _ in range(5):
        user_factory()
    h = people["headers"]["staff"]
    client = app.test_client()
    r = client.get(f"{BASE}/users/?size=3&page=2", headers=h)
    body = r.json
    assert body["count"] == 8 and len(body["results"]) == 3
    assert body["next"].startswith("http://localhost/api/user/users/?") and "page=3" in body["next"]
    assert "page=1" in body["previous"]
    assert set(body["results"][0]) == {"id", "username", "email", "image", "is_admin"}
    last = client.get(f"{BASE}/users/?size=3&page=99", headers=h).json
    assert last["next"] is None and len(last["results"]) == 2
    admins = client.get(f"{BASE}/users/?role=admin", headers=h).json
    assert admins["count"] == 2 and all(u["is_admin"] for u in admins["results"])
    me = client.get(f"{BASE}/users/?me=true&role=regular", headers=h).json
    assert [u["id"] for u in me["results"]] == [people["staff"].id]
    assert client.get(f"{BASE}/users/?role=x", headers=h).status_code == 400
    assert client.get(f"{BASE}/users/?page=abc", headers=h).status_code == 400


def test_admin_sets_a_password_and_deletes(app, people, db):
    h = people["headers"]["admin"]
    client = app.test_client()
    uid = people["user"].id
    r = client.patch(
        f"{BASE}/users/{uid}/",
        json={"password": "admin-set-secret-1", "passwordRepeat": "admin-set-secret-1"},
        headers=h,
    )
    assert r.status_code == 200
    # Their old token died with the password change.
    assert client.get(f"{BASE}/me/", headers=people["headers"]["user"]).status_code == 401
    staff_try = client.patch(
        f"{BASE}/users/{uid}/", json={"username": "hacked1"}, headers=people["headers"]["staff"]
    )
    assert staff_try.status_code == 403
    assert client.delete(f"{BASE}/users/{uid}/", headers=h).status_code == 204
    assert db.session.get(User, uid) is None


def test_delete_me(app, people, db):
    client = app.test_client()
    r = client.delete(f"{BASE}/me/", headers=people["headers"]["user"])
    assert r.status_code == 204 and db.session.get(User, people["user"].id) is None


# ------------------------------------------------------------------ analytics


def test_stats_shape_and_values(app, people):
    r = get(app, f"{BASE}/dashboard/stats/", "user", people)
    s = r.json
    assert set(s) == {
        "total_logins",
        "total_successful_logins",
        "total_failed_logins",
        "success_rate",
        "last_login",
        "weekly_data",
        "monthly_data",
        "login_trend",
    }
    assert s["total_logins"] == 11 and s["total_failed_logins"] == 4  # 10 seeded + token login
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", s["last_login"])
    assert all(re.fullmatch(r"\d{4}-W\d\d", k) for k in s["weekly_data"])
    assert isinstance(s["login_trend"], int)
    same = get(app, f"{BASE}/{people['user'].id}/dashboard/stats/", "staff", people).json
    assert same["total_logins"] == 11


def test_login_activity(app, people):
    r = get(app, f"{BASE}/dashboard/login-activity/?size=4", "user", people).json
    assert r["count"] == 11 and len(r["results"]) == 4
    item = r["results"][0]
    assert set(item) == {
        "id",
        "username",
        "timestamp",
        "ip_address",
        "user_agent",
        "success",
        "method",
        "reason",
        "device",
    }
    assert item["username"] == "regular1" and isinstance(item["user_agent"], str)
    assert item["method"] == "api_token"  # the newest: this test's own token login


def test_charts(app, people):
    t = get(app, f"{BASE}/dashboard/charts/trends/", "user", people).json["login_trends"]
    assert len(t["labels"]) == 30
    assert [d["label"] for d in t["datasets"]] == ["Successful Logins", "Failed Logins"]
    ids = f"user_ids[]={people['user'].id}&user_ids[]={people['staff'].id}"
    combined = get(app, f"{BASE}/dashboard/charts/trends/?{ids}", "staff", people).json
    assert combined["login_trends"]["datasets"][0]["label"] == "Successful Logins (Combined)"
    c = get(app, f"{BASE}/dashboard/charts/comparison/", "user", people).json["login_comparison"]
    assert c["datasets"][0]["label"] == "Login Count"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", x) for x in c["labels"])
    m = get(
        app,
        f"{BASE}/dashboard/charts/comparison/?start_date=2026-01-01&end_date=2026-03-31",
        "user",
        people,
    ).json["login_comparison"]
    assert m["labels"] == ["2026-01", "2026-02", "2026-03"]
    d = get(app, f"{BASE}/dashboard/charts/distribution/", "user", people).json
    dist = d["login_distribution"]
    assert dist["success_ratio"]["labels"] == ["Successful", "Failed"]
    assert sum(dist["success_ratio"]["datasets"][0]["data"]) == 11
    assert len(dist["hour_of_day"]["labels"]) == 24 and len(dist["hour_of_day"]["datasets"]) == 2
    assert [x["label"] for x in dist["day_of_week"]["datasets"]] == ["Successful", "Failed"]
    assert sum(dist["user_agents"]["datasets"][0]["data"]) == 11


def test_admin_endpoints(app, people):
    d = get(app, f"{BASE}/admin/dashboard/", "staff", people).json
    assert d["total_users"] == 3 and d["total_logins"] == 13  # 10 seeded + three token logins
    assert len(d["login_activity"]) == 10
    me = get(
        app, f"{BASE}/admin/dashboard/?me=true&user_ids[]={people['user'].id}", "staff", people
    ).json
    assert me["total_users"] == 1 and me["total_logins"] == 1
    chosen = get(
        app, f"{BASE}/admin/dashboard/?user_ids[]={people['user'].id}", "staff", people
    ).json
    assert chosen["total_logins"] == 11
    regular = get(app, f"{BASE}/admin/dashboard/?filter=regular_users", "staff", people).json
    assert regular["total_users"] == 1
    charts = get(app, f"{BASE}/admin/charts/", "staff", people).json["admin_charts"]
    assert set(charts) == {"user_growth", "login_activity", "success_ratio"}
    batch = get(app, f"{BASE}/admin/dashboard/users/stats/?is_active=true", "staff", people).json
    assert set(batch) == {str(people[k].id) for k in ("user", "staff", "admin")}
    assert batch[str(people["user"].id)]["total_logins"] == 11
    bad = get(app, f"{BASE}/admin/dashboard/users/stats/?user_ids[]=999999", "staff", people)
    assert bad.status_code == 400 and bad.json == {"error": "One or more user IDs not found."}


def test_report_download(app, people):
    r = get(app, f"{BASE}/dashboard/report/download/", "user", people)
    assert r.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="login_report_individual_[\d-]+_[\d-]+\.xlsx"',
        r.headers["Content-Disposition"],
    )
    book = load_workbook(io.BytesIO(r.data))
    names = [row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)]
    assert names == ["regular1"]  # only ever your own data
    grouped = get(
        app, f"{BASE}/dashboard/report/download/?mode=grouped&role=regular", "staff", people
    )
    assert grouped.status_code == 200


@pytest.mark.parametrize("query", ["start_date=2026-1-1", "end_date=tomorrow", "page=x"])
def test_bad_query_values(app, people, query):
    r = get(app, f"{BASE}/dashboard/login-activity/?{query}", "user", people)
    assert r.status_code == 400 and "error" in r.json


def test_nothing_half_written_on_bad_update(app, people, db):
    h = people["headers"]["user"]
    r = app.test_client().patch(
        f"{BASE}/me/", json={"username": "okname1", "phone": "letters!"}, headers=h
    )
    assert r.status_code == 400
    db.session.expire_all()
    assert (
        db.session.execute(select(User.username).where(User.id == people["user"].id)).scalar_one()
        == "regular1"
    )
