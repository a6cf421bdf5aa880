"""The existing React client runs unchanged against the API: colours, partial updates, grouped
reports, parallel refreshes, links to its own pages, all-time figures and exact counts."""

import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import insert, update

from tests.analytics_data import add_attempts
from tests.api_helpers import BASE, bearer, tokens_for
from webapp.models import LoginAttempt, User, utcnow

GREEN, RED, BLUE = "#198754", "#dc3545", "#0d6efd"


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


@pytest.fixture
def people(app, user_factory):
    """A regular user, a staff member and an admin with bearer headers; the regular user has
    attempts 1-10 days ago (every third failed), 45 days ago and 400 days ago."""
    regular = user_factory(username="regular1", email="regular@example.com")
    staff = user_factory(username="staffer1", email="staff@example.com", role="staff")
    admin = user_factory(username="admin001", email="admin@example.com", role="admin")
    now = utcnow() - timedelta(hours=1)
    rows = [(regular.id, now - timedelta(days=d), d % 3 != 0) for d in range(1, 11)]
    rows += [(regular.id, now - timedelta(days=45), True), (regular.id, now - timedelta(400), True)]
    with app.app_context():
        add_attempts(rows)
    client = app.test_client()
    heads = {
        name: bearer(tokens_for(client, u)["access"])
        for name, u in (("user", regular), ("staff", staff), ("admin", admin))
    }
    return {"user": regular, "staff": staff, "admin": admin, "headers": heads}


def get(app, path, who, people, **kw):
    return app.test_client().get(f"{BASE}{path}", headers=people["headers"][who], **kw)


def _charts(body):
    """Every ChartData inside a response body."""
    if isinstance(body, dict):
        if "datasets" in body:
            yield body
        else:
            for value in body.values():
                yield from _charts(value)


# ------------------------------------------------------------------ 1. chart colours

CHART_ROUTES = [
    "/dashboard/charts/trends/",
    "/dashboard/charts/comparison/",
    "/dashboard/charts/distribution/",
    "/admin/charts/",
]


@pytest.mark.parametrize("path", CHART_ROUTES)
def test_every_chart_dataset_carries_its_colours(app, people, path):
    charts = list(_charts(get(app, path, "staff", people).json))
    assert charts
    for chart in charts:
        for dataset in chart["datasets"]:
            label = dataset["label"]
            if chart["labels"] == ["Successful", "Failed"]:  # a pie: a colour per label
                assert dataset["backgroundColor"] == [GREEN, RED], label
                continue
            expected = GREEN if "Successful" in label else RED if "Failed" in label else BLUE
            assert dataset["backgroundColor"] == dataset["borderColor"] == expected, label


# ------------------------------------------------------------------ 2. PUT me/ is partial


def _png():
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 90, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_me_update_is_partial(app, people, method):
    h = people["headers"]["user"]
    send = getattr(app.test_client(), method)
    r = send(f"{BASE}/me/", json={"image": None}, headers=h)
    assert r.status_code == 200 and r.json["username"] == "regular1"
    r = send(
        f"{BASE}/me/",
        data={"image": (io.BytesIO(_png()), "a.png")},
        headers=h,
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and r.json["image"].startswith("/media/avatars/")


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_blank_username_cannot_be_null(app, people, blank):
    r = app.test_client().put(
        f"{BASE}/me/", json={"username": blank}, headers=people["headers"]["user"]
    )
    assert r.status_code == 400 and r.json == {"username": ["Username cannot be null"]}


# ------------------------------------------------------------------ 3. grouped report


def test_grouped_report_holds_every_selected_user(app, people):
    a, b = people["user"].id, people["staff"].id
    r = get(
        app,
        f"/dashboard/report/download/?mode=grouped&user_ids[]={a}&user_ids[]={b}"
        f"&selected_user_id={b}",
        "admin",
        people,
    )
    assert r.status_code == 200
    summary = load_workbook(io.BytesIO(r.data))["Summary"]
    assert [row[0].value for row in summary.iter_rows(min_row=2)] == [b, a]  # selected first
    assert summary["A2"].font.bold and not summary["A3"].font.bold
    individual = get(
        app,
        f"/dashboard/report/download/?user_ids[]={a}&user_ids[]={b}&selected_user_id={b}",
        "admin",
        people,
    )
    book = load_workbook(io.BytesIO(individual.data))
    assert [row[0] for row in book["Summary"].iter_rows(min_row=2, values_only=True)] == [b]


# ------------------------------------------------------------------ 4. refresh grace window


def _refresh(app, token):
    return app.test_client().post(f"{BASE}/token/refresh/", json={"refresh": token})


def _alive(app, pair) -> bool:
    return app.test_client().get(f"{BASE}/me/", headers=bearer(pair["access"])).status_code == 200


def test_a_token_reused_in_the_grace_window_gets_the_live_refresh_token(app, user_factory):
    first = tokens_for(app.test_client(), user_factory())
    second = _refresh(app, first["refresh"]).json
    late = _refresh(app, first["refresh"])
    assert late.status_code == 200 and _alive(app, late.json)
    # Both answers hold the session's one live refresh token: either rotates it once.
    assert _refresh(app, late.json["refresh"]).status_code == 200
    assert _alive(app, second)


def test_reuse_after_the_grace_window_revokes_the_session(app, user_factory, monkeypatch):
    first = tokens_for(app.test_client(), user_factory())
    second = _refresh(app, first["refresh"]).json
    later = utcnow() + timedelta(seconds=31)
    monkeypatch.setattr("webapp.services.api_tokens.utcnow", lambda: later)
    assert _refresh(app, first["refresh"]).status_code == 401
    monkeypatch.undo()
    assert not _alive(app, second)
    assert _refresh(app, second["refresh"]).status_code == 401


def test_grace_covers_only_the_token_just_rotated(app, user_factory):
    first = tokens_for(app.test_client(), user_factory())
    second = _refresh(app, first["refresh"]).json
    third = _refresh(app, second["refresh"]).json
    assert _refresh(app, first["refresh"]).status_code == 401  # two rotations ago
    assert not _alive(app, third)


def test_ten_parallel_refreshes_all_succeed_and_the_session_lives(app_factory, user_factory):
    app = app_factory(RATELIMIT_ENABLED=False, REFRESH_REUSE_GRACE_SECONDS=30)
    pair = tokens_for(app.test_client(), user_factory())
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: _refresh(app, pair["refresh"]), range(10)))
    assert [r.status_code for r in answers] == [200] * 10
    assert all(_alive(app, r.json) for r in answers)
    assert _refresh(app, answers[3].json["refresh"]).status_code == 200


# ------------------------------------------------------------------ 5. links to the front end


def _mail_link(outbox, pattern):
    match = re.search(pattern, outbox[-1].body)
    assert match, outbox[-1].body
    return match.group(0)


def test_mail_links_point_to_the_external_front_end(app_factory, user_factory, outbox):
    app = app_factory(RATELIMIT_ENABLED=False, FRONTEND_BASE_URL="https://spa.example.org/app/")
    client = app.test_client()
    body = {
        "username": "newcomer",
        "email": "new+one@example.com",
        "password": "a-long-enough-secret-9",
        "passwordRepeat": "a-long-enough-secret-9",
    }
    assert client.post(f"{BASE}/create/", json=body).status_code == 201
    link = _mail_link(outbox, r"https://spa\.example\.org/app/verify-email\?\S+")
    query = parse_qs(urlsplit(link).query)
    assert query["email"] == ["new+one@example.com"]  # URL-encoded, and read back whole
    r = client.post(
        f"{BASE}/verify-email/", json={"email": query["email"][0], "token": query["token"][0]}
    )
    assert r.status_code == 200
    user = user_factory()
    client.post(f"{BASE}/password-reset/", json={"email": user.email})
    link = _mail_link(outbox, r"https://spa\.example\.org/app/reset-password/\S+")
    token = link.rsplit("/", 1)[1]
    r = client.post(
        f"{BASE}/reset-password/{token}/",
        json={"password": "another-secret-77", "passwordRepeat": "another-secret-77"},
    )
    assert r.status_code == 200


def test_without_a_front_end_mail_links_stay_ours(client, user_factory, outbox):
    user = user_factory()
    client.post(f"{BASE}/password-reset/", json={"email": user.email})
    assert _mail_link(outbox, r"http://localhost/auth/reset/\S+")


# ------------------------------------------------------------------ 6. no dates means all time


def test_no_dates_means_all_time(app, people):
    uid = people["user"].id
    # 12 seeded (one 400 days ago) + the fixture's token login.
    stats = get(app, "/dashboard/stats/", "user", people).json
    assert stats["total_logins"] == 13 and stats["total_failed_logins"] == 3
    assert sum(stats["monthly_data"].values()) == 10
    assert get(app, f"/{uid}/dashboard/stats/", "staff", people).json == stats
    activity = get(app, "/dashboard/login-activity/", "user", people).json
    assert activity["count"] == 13 and len(activity["results"]) == 13
    board = get(app, "/admin/dashboard/", "staff", people).json
    assert board["total_logins"] == 15  # and the staff and admin token logins
    batch = get(app, f"/admin/dashboard/users/stats/?user_ids[]={uid}", "staff", people).json
    assert batch[str(uid)] == stats
    # Charts keep their last 30 days.
    trends = get(app, "/dashboard/charts/trends/", "user", people).json["login_trends"]
    assert len(trends["labels"]) == 30
    # Dates still narrow everything.
    day = (utcnow() - timedelta(days=45, hours=1)).date().isoformat()  # as seeded
    narrow = get(app, f"/dashboard/stats/?start_date={day}&end_date={day}", "user", people).json
    assert narrow["total_logins"] == 1


def test_login_trend_keeps_last_30_against_the_30_before(app, people):
    # Last 30 days: 7 seeded successes + the token login; the 30 before: one (45 days ago).
    stats = get(app, "/dashboard/stats/", "user", people).json
    assert stats["total_successful_logins"] == 10
    assert stats["login_trend"] == 700
    uid = people["user"].id
    batch = get(app, f"/admin/dashboard/users/stats/?user_ids[]={uid}", "staff", people).json
    assert batch[str(uid)]["login_trend"] == 700


def test_is_active_filters_the_given_user_ids(app, people, user_factory):
    gone = user_factory(active=False)
    ids = f"user_ids[]={people['user'].id}&user_ids[]={gone.id}"
    active = get(app, f"/admin/dashboard/users/stats/?{ids}&is_active=true", "staff", people)
    assert set(active.json) == {str(people["user"].id)}
    inactive = get(app, f"/admin/dashboard/users/stats/?{ids}&is_active=false", "staff", people)
    assert set(inactive.json) == {str(gone.id)}
    both = get(app, f"/admin/dashboard/users/stats/?{ids}", "staff", people)
    assert set(both.json) == {str(people["user"].id), str(gone.id)}


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"token": "abc"}, {"email"}),
        ({"email": "someone@example.com"}, {"token"}),
        ({"email": " ", "token": ""}, {"email", "token"}),
        ({}, {"email", "token"}),
    ],
)
def test_verify_email_names_the_missing_field(client, body, missing):
    r = client.post(f"{BASE}/verify-email/", json=body)
    assert r.status_code == 400 and set(r.json) == missing


# ------------------------------------------------------------------ 7. user growth


def test_user_growth_counts_new_accounts(app, people, db):
    old = utcnow() - timedelta(days=400)
    db.session.execute(update(User).where(User.id == people["admin"].id).values(created_at=old))
    db.session.commit()
    charts = get(app, "/admin/charts/", "staff", people).json["admin_charts"]
    [dataset] = charts["user_growth"]["datasets"]
    assert dataset["label"] == "New Users" and sum(dataset["data"]) == 2  # the 30-day window
    board = get(app, "/admin/dashboard/", "staff", people).json
    assert board["user_growth"][old.strftime("%Y-%m")] == 1
    assert sum(board["user_growth"].values()) == 3 and board["total_users"] == 3


# ------------------------------------------------------------------ 8. exact activity count


def _paged_ids(app, people, query=""):
    ids, url, count = [], f"{BASE}/dashboard/login-activity/?size=5{query}", None
    client = app.test_client()
    while url:
        body = client.get(url, headers=people["headers"]["user"]).json
        count = body["count"]
        ids += [item["id"] for item in body["results"]]
        url = body["next"]
    return count, ids


def test_activity_count_equals_the_rows_after_purge(app, people, runner):
    assert runner.invoke(args=["purge", "--retention-days", "300"]).exit_code == 0
    count, ids = _paged_ids(app, people)
    assert count == len(ids) == len(set(ids)) == 12


def test_activity_count_equals_the_rows_after_an_import_without_rebuild(app, people, db):
    now = utcnow() - timedelta(days=2)
    row = {"user_id": people["user"].id, "email_tried": "regular@example.com", "success": True}
    row |= {"method": "password", "reason": "ok", "ip": "192.0.2.9", "user_agent": "x"}
    db.session.execute(insert(LoginAttempt), [{**row, "created_at": now}] * 3)
    db.session.commit()
    count, ids = _paged_ids(app, people)
    assert count == len(ids) == 16
    count, ids = _paged_ids(app, people, f"&start_date={(utcnow() - timedelta(days=5)).date()}")
    assert count == len(ids) >= 8  # 4 or 5 seeded days, the token login, the 3 imported
