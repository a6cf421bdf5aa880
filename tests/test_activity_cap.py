"""The activity list counts up to ACTIVITY_COUNT_CAP rows; exports still carry every row."""

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.analytics_data import add_attempts
from tests.api_helpers import BASE, bearer, tokens_for
from tests.helpers import login
from webapp.models import utcnow

ATTEMPTS = 40  # seeded; each test's own sign-in adds one more


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False, ACTIVITY_COUNT_CAP=30)


@pytest.fixture
def busy(app, user_factory):
    """A user with more attempts in the last 30 days than the cap."""
    user = user_factory(email="busy@example.com", username="busy01", role="staff")
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        add_attempts([(user.id, now - timedelta(hours=h + 1), h % 5 != 0) for h in range(ATTEMPTS)])
    return user


def page_info(html: str) -> str:
    return re.search(r'id="page-info">([^<]*)<', html).group(1)


def rows_listed(html: str) -> int:
    body = html.split('id="activity-table"')[1].split("<tbody>")[1]
    return body.split("</table>")[0].count("<tr>")


def test_page_says_more_than_the_cap(client, busy):
    login(client, "busy@example.com")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert page_info(html) == "1–25 of more than 30 attempts"
    assert rows_listed(html) == 25
    last = client.get("/dashboard/?page=2").get_data(as_text=True)
    assert page_info(last) == "26–30 of more than 30 attempts"
    assert rows_listed(last) == 5  # no row past the cap
    assert re.search(r'page-item disabled"><a class="page-link" href="[^"]*">Older', last)
    assert page_info(client.get("/dashboard/?page=99").get_data(as_text=True)).startswith("26–30")


def test_page_below_the_cap_counts_exactly(app, client, busy):
    app.config["ACTIVITY_COUNT_CAP"] = 10_000
    login(client, "busy@example.com")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert page_info(html) == f"Page 1 of 2 ({ATTEMPTS + 1} attempts)"


def test_staff_drill_down_is_capped_too(client, busy, user_factory):
    login(client, "busy@example.com")
    html = client.get(f"/dashboard/admin/users/{busy.id}/").get_data(as_text=True)
    assert page_info(html) == "1–25 of more than 30 attempts"


def test_api_count_and_next_stop_at_the_cap(app, busy):
    client = app.test_client()
    headers = bearer(tokens_for(client, busy)["access"])
    url = f"{BASE}/dashboard/login-activity/?size=10"
    first = client.get(url, headers=headers).json
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 30 and len(first["results"]) == 10
    assert "page=2" in first["next"] and first["previous"] is None
    third = client.get(url + "&page=3", headers=headers).json
    assert third["count"] == 30 and len(third["results"]) == 10
    assert third["next"] is None and "page=2" in third["previous"]
    beyond = client.get(url + "&page=99", headers=headers).json
    assert beyond["results"] == third["results"] and beyond["next"] is None
    app.config["ACTIVITY_COUNT_CAP"] = 10_000
    exact = client.get(url, headers=headers).json
    assert exact["count"] == ATTEMPTS + 1


def test_exports_are_not_capped(app, client, busy):
    login(client, "busy@example.com")
    r = client.get("/dashboard/export.csv")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert r.status_code == 200 and len(rows) == 1 + ATTEMPTS + 1
    r = client.get(f"/dashboard/admin/report.xlsx?user_ids[]={busy.id}")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data))["Activity"]
    assert sheet.max_row == 1 + ATTEMPTS + 1
