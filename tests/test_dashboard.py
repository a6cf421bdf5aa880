"""The personal dashboard page and its CSV export, through HTTP."""

import csv
import io
import json
import re
from datetime import datetime, timedelta

import plotly.graph_objects as go
import pytest

from tests.analytics_data import add_attempts
from tests.e2e.test_dashboard_browser import DASHBOARD_CHARTS
from tests.helpers import login
from webapp.extensions import db as _db
from webapp.models import User, utcnow
from webapp.services import analytics


@pytest.fixture
def viewer(app, client, user_factory):
    """A signed-in user in Asia/Kolkata with a known history (times relative to now)."""
    user = user_factory(email="dash@example.com", username="dasher")
    other = user_factory(email="other@example.com")
    with app.app_context():
        row = _db.session.get(User, user.id)
        row.timezone = "Asia/Kolkata"
        _db.session.commit()
        now = utcnow().replace(microsecond=0)
        add_attempts(
            [(user.id, now - timedelta(days=d, hours=1), d % 4 != 0) for d in range(1, 12)]
            + [(user.id, now - timedelta(days=40), True)]
            + [(other.id, now - timedelta(days=1), False, "=cmd|' /C calc'!A0")]
        )
    login(client, "dash@example.com")  # one more success, now
    return user


def figures(html):
    raw = re.search(
        r'<script type="application/json" id="dashboard-figures">(.*?)</script>', html, re.S
    )
    assert raw, "figures missing"
    return json.loads(raw.group(1))


def card(html, id_):
    return re.search(rf'id="{id_}">\s*([^<]*?)\s*<', html).group(1)


def test_dashboard_shows_cards_charts_and_activity(client, viewer):
    r = client.get("/dashboard/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    # last 30 days: 11 seeded + 1 real login; failures on days 4 and 8
    assert card(html, "stat-total") == "12"
    assert card(html, "stat-successful") == "10"
    assert card(html, "stat-failed") == "2"
    assert card(html, "stat-rate") == "83.3%"
    assert "times in Asia/Kolkata" in html
    figs = figures(html)
    assert set(figs) == set(DASHBOARD_CHARTS)
    for fig in figs.values():
        go.Figure(fig)  # valid against Plotly's schema
    assert len(figs["chart-trend"]["data"][0]["x"]) == 30
    assert sum(figs["chart-ratio"]["data"][0]["values"]) == 12
    assert html.count("<tr>") == 13  # header + 12 attempts
    assert "/static/vendor/plotly/plotly-cartesian.min." in html and "js/charts." in html


def test_presets_and_custom_range_are_in_the_query_string(client, viewer):
    html = client.get("/dashboard/").get_data(as_text=True)
    links = re.findall(r'class="btn [^"]*preset"\s+href="([^"]+)"', html)
    assert len(links) == 4 and all("start_date=" in link and "end_date=" in link for link in links)
    week = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert card(week, "stat-total") == "7"  # days 1..6 and today
    wide = client.get("/dashboard/?start_date=2020-01-01").get_data(as_text=True)
    assert card(wide, "stat-total") == "13"


def lit_presets(html):
    return re.findall(r'class="btn btn-primary preset"\s+href="[^"]*">([^<]+)<', html)


def test_only_the_chosen_preset_is_lit_when_two_cover_the_same_days(client, viewer, monkeypatch):
    # On the 30th "30 days" and "This month" are the same days.
    monkeypatch.setattr(analytics.windows, "utcnow", lambda: datetime(2026, 11, 30, 9))
    days = "/dashboard/?start_date=2026-11-01&end_date=2026-11-30"
    html = client.get(days).get_data(as_text=True)
    assert lit_presets(html) == ["30 days"]  # nothing chosen: the first that matches
    links = dict(re.findall(r'preset"\s+href="([^"]+)">([^<]+)<', html)[i][::-1] for i in range(4))
    assert "preset=month" in links["This month"] and "preset=30d" in links["30 days"]
    month = client.get(links["This month"].replace("&amp;", "&")).get_data(as_text=True)
    assert lit_presets(month) == ["This month"]
    assert 'name="preset" value="month"' in month  # the activity filters keep the choice
    assert lit_presets(client.get(days + "&preset=30d").get_data(as_text=True)) == ["30 days"]
    # A choice that does not cover the days shown falls back; a custom range lights none.
    assert lit_presets(client.get(days + "&preset=7d").get_data(as_text=True)) == ["30 days"]
    custom = "/dashboard/?start_date=2026-11-02&end_date=2026-11-30&preset=month"
    assert lit_presets(client.get(custom).get_data(as_text=True)) == []


def test_the_trend_card_says_when_there_is_nothing_to_compare_with(
    app, client, viewer, user_factory
):
    html = client.get("/dashboard/").get_data(as_text=True)
    trend = re.search(r'id="stat-trend">\s*([^<]*?)\s*<', html).group(1)
    assert re.fullmatch(r"▲ \d+\.0%", trend)  # one success 40 days ago, more since: one sign
    user_factory(email="new@example.com")
    newcomer = app.test_client()
    login(newcomer, "new@example.com")  # the first sign-in ever: no earlier period
    html = newcomer.get("/dashboard/").get_data(as_text=True)
    assert card(html, "stat-trend") == "No sign-ins in the previous period"
    assert (
        'Change in attempts: <span id="period-change">+1 (none in the previous period)</span>.'
        in html
    )
    assert "100" not in re.search(r'id="stat-trend">[^<]*<', html).group(0)


def test_percentages_have_one_format_in_the_page_language(client, viewer):
    assert card(client.get("/dashboard/").get_data(as_text=True), "stat-rate") == "83.3%"
    german = client.get("/dashboard/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert card(german, "stat-rate") == "83,3\xa0%"
    assert "+11 (▲ 1.100,0\xa0%)" in german  # 1 attempt before, 12 now


@pytest.mark.parametrize(
    "query, message",
    [
        ("start_date=2026-02-31", "Enter the date as YYYY-MM-DD."),
        ("start_date=yesterday", "Enter the date as YYYY-MM-DD."),
        ("start_date=2026-03-02&end_date=2026-03-01", "The start date is after the end date."),
        ("outcome=maybe", "Choose an outcome from the list."),
        ("page=-1", "The page number must be a whole number."),
        ("page=abc", "The page number must be a whole number."),
    ],
)
def test_bad_parameters_give_a_clear_400(client, viewer, query, message):
    r = client.get(f"/dashboard/?{query}")
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)


def test_filters_and_pagination(client, viewer):
    html = client.get("/dashboard/?outcome=failure").get_data(as_text=True)
    assert html.count("<tr>") == 3
    assert "text-bg-success" not in html.split('id="activity-table"')[1]


def test_empty_state(client, user_factory):
    user_factory(email="new@example.com")
    login(client, "new@example.com")
    html = client.get("/dashboard/?start_date=2001-01-01&end_date=2001-01-31").get_data(
        as_text=True
    )
    assert 'id="empty-state"' in html and "No sign-ins in this period" in html
    assert "plotly-cartesian" not in html


def test_csv_export_is_your_own_activity_only(client, viewer):
    r = client.get("/dashboard/export.csv?start_date=2020-01-01")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert re.match(
        r'attachment; filename="doorman-activity-2020-01-01-\d{4}-\d\d-\d\d\.csv"',
        r.headers["Content-Disposition"],
    )
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0] == ["time", "outcome", "reason", "method", "ip", "device", "user_agent"]
    assert len(rows) == 14
    assert all(row[0].endswith("+05:30") for row in rows[1:])
    assert not any("calc" in cell for row in rows for cell in row)  # the other user's row


def test_csv_neutralises_formulas(client, user_factory, app):
    user = user_factory(email="f@example.com")
    with app.app_context():
        add_attempts([(user.id, utcnow() - timedelta(hours=1), False, "=HYPERLINK(1)")])
    login(client, "f@example.com")
    text = client.get("/dashboard/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


def test_csv_bad_dates(client, viewer):
    r = client.get("/dashboard/export.csv?end_date=31-12-2026")
    assert r.status_code == 400 and "Enter the date as YYYY-MM-DD." in r.get_data(as_text=True)


def test_plotly_is_served_locally(client):
    r = client.get("/static/vendor/plotly/plotly-cartesian.min.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert len(r.data) > 1_000_000
