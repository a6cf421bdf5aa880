"""The analytics pages as people use them: a custom date range, new accounts per day or week,
comparing users without losing the search, asking before exporting everyone, trend cards
that read well and a method filter that offers only methods that occur."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.analytics_data import add_attempts
from webapp.extensions import db as _db
from webapp.models import User, utcnow


def figures(html: str) -> dict:
    return json.loads(re.search(r'id="dashboard-figures">(.*?)</script>', html, re.S).group(1))


def hidden(html: str, form_id: str) -> list[tuple[str, str]]:
    form = html.split(f'id="{form_id}"')[1].split("</form>")[0]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)


@pytest.fixture
def people(app, user_factory):
    """Three users (one inactive) with a few sign-ins over the last days."""
    a = user_factory(username="alpha_user", email="alpha@example.com")
    b = user_factory(username="bravo_user", email="bravo@example.com")
    c = user_factory(username="charlie_u", email="charlie@example.com", active=False)
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    with app.app_context():
        add_attempts(
            [(a.id, noon - timedelta(days=d), True) for d in range(1, 4)]
            + [(b.id, noon - timedelta(days=1), False)]
            + [(c.id, noon - timedelta(days=2), True)]
        )
    return a, b, c


def test_admin_analytics_take_a_custom_range(client, actor, people):
    actor("staff")
    r = client.get("/dashboard/admin/?start_date=2026-01-05&end_date=2026-01-20&q=alpha")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "2026-01-05 to 2026-01-20" in html
    days = figures(html)["chart-trend"]["data"][0]["x"]
    assert (days[0], days[-1], len(days)) == ("2026-01-05", "2026-01-20", 16)
    form = html.split('id="range-form"')[1].split("</form>")[0]
    assert 'name="start_date" aria-label="From"\n           value="2026-01-05"' in form
    assert ("q", "alpha") in hidden(html, "range-form")  # the search survives a new range
    presets = re.findall(r'class="btn btn-outline-primary preset"\s+href="([^"]+)"', html)
    assert presets and all("q=alpha" in p for p in presets)


def test_admin_analytics_refuse_a_reversed_range_with_the_page_drawn(client, actor, people):
    actor("staff")
    r = client.get("/dashboard/admin/?start_date=2026-01-20&end_date=2026-01-05")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "The start date is after the end date." in html and 'id="range-form"' in html


def _created(app, *days: date) -> None:
    """Users whose accounts were created at noon UTC on each of the days."""
    with app.app_context():
        for i, day in enumerate(days):
            user = User(
                email=f"new{i}@example.com",
                username=f"newcomer{i:03d}",
                role="user",
                registration_source="test",
            )
            user.created_at = utcnow().replace(
                year=day.year, month=day.month, day=day.day, hour=12, minute=0
            )
            _db.session.add(user)
        _db.session.commit()


def test_new_accounts_per_day_for_a_month_or_less(app, client, actor):
    _created(app, date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 9))
    actor("staff")
    html = client.get("/dashboard/admin/?start_date=2026-03-01&end_date=2026-03-31").get_data(
        as_text=True
    )
    growth = figures(html)["chart-growth"]
    assert growth["layout"]["title"]["text"] == "New accounts per day"
    counts = dict(zip(growth["data"][0]["x"], growth["data"][0]["y"], strict=True))
    assert len(counts) == 31 and counts["2026-03-02"] == 2 and counts["2026-03-09"] == 1
    assert sum(counts.values()) == 3


def test_new_accounts_per_week_beyond_a_month(app, client, actor):
    _created(app, date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 9), date(2026, 4, 30))
    actor("staff")
    html = client.get("/dashboard/admin/?start_date=2026-03-01&end_date=2026-04-30").get_data(
        as_text=True
    )
    growth = figures(html)["chart-growth"]
    assert growth["layout"]["title"]["text"].startswith("New accounts per week")
    counts = dict(zip(growth["data"][0]["x"], growth["data"][0]["y"], strict=True))
    assert all(date.fromisoformat(label).weekday() == 0 for label in counts)  # Mondays
    assert counts["2026-02-23"] == 0  # the week of March 1st (a Sunday)
    assert counts["2026-03-02"] == 2 and counts["2026-03-09"] == 1 and counts["2026-04-27"] == 1
    assert len(counts) == 10


def test_compare_keeps_the_search_and_the_filters(client, actor, people):
    a, b, _ = people
    actor("staff")
    html = client.get(
        f"/dashboard/admin/?q=alpha&batch=active&sort=-total&user_ids[]={a.id}&user_ids[]={b.id}"
    ).get_data(as_text=True)
    assert 'id="comparison"' in html
    assert 'id="q" name="q" value="alpha"' in html
    assert 'value="active" selected' in html
    compare = hidden(html, "compare-form")
    assert {("q", "alpha"), ("batch", "active"), ("sort", "-total")} <= set(compare)
    # Back to searching: the picker keeps the users being compared.
    picker = hidden(html, "user-picker")
    assert {("user_ids[]", str(a.id)), ("user_ids[]", str(b.id)), ("sort", "-total")} <= set(picker)
    table = html.split('id="batch-table"')[1].split("</table>")[0]
    assert "alpha_user" in table and "bravo_user" in table and "charlie_u" not in table
    assert table.count(" checked>") == 2
    # The column headers keep both chosen users.
    header = re.search(r'<th><a href="([^"]+)">Attempts</a>', table).group(1)
    assert header.count("user_ids%5B%5D=") == 2 and "q=alpha" in header


def test_an_excel_report_with_nobody_chosen_asks_first(client, actor, people):
    actor("staff")
    r = client.get("/dashboard/admin/report.xlsx?mode=individual&q=alpha")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "Export everyone?" in html and "all 1 users" in html
    fields = re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
        html.split('id="export-everyone"')[1],
    )
    assert {("mode", "individual"), ("q", "alpha"), ("everyone", "1")} <= set(fields)
    assert 'href="/dashboard/admin/?q=alpha"' in html  # back, keeping the search
    r = client.get("/dashboard/admin/report.xlsx?mode=individual&q=alpha&everyone=1")
    assert r.mimetype.endswith("spreadsheetml.sheet")
    summary = load_workbook(io.BytesIO(r.data))["Summary"]
    assert [row[1] for row in summary.iter_rows(min_row=2, values_only=True)] == ["alpha_user"]


def _history(app, user, first_half: int, second_half: int) -> str:
    """Successes in the first and second half of the last ten days; the page's query."""
    today = utcnow().date()
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    with app.app_context():
        add_attempts(
            [(user.id, noon - timedelta(days=8), True)] * first_half
            + [(user.id, noon - timedelta(days=2), True)] * second_half
        )
    return f"start_date={today - timedelta(days=9)}&end_date={today}"


def trend_card(html: str) -> str:
    return re.search(r'id="stat-trend">\s*(.*?)\s*</div>', html, re.S).group(1)


def test_trend_card_when_the_previous_period_had_none(app, client, user_factory):
    from tests.helpers import login

    user = user_factory(email="fresh@example.com")
    query = _history(app, user, 0, 3)
    login(client, "fresh@example.com")
    html = client.get(f"/dashboard/?{query}").get_data(as_text=True)
    assert trend_card(html) == "No sign-ins in the previous period"
    assert "100 %" not in html.split('id="stat-trend"')[1].split("</div>")[0]


def test_trend_card_shows_a_fall_with_one_sign(app, client, user_factory):
    from tests.helpers import login

    user = user_factory(email="falling@example.com")
    query = _history(app, user, 4, 1)  # signing in adds one
    login(client, "falling@example.com")
    html = client.get(f"/dashboard/?{query}").get_data(as_text=True)
    assert trend_card(html) == "▼ 50.0%"
    assert "-50" not in html and "▼ -" not in html


def test_method_filter_offers_only_methods_that_occur(app, client, user_factory):
    from tests.helpers import login

    user = user_factory(email="methods@example.com")
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    with app.app_context():
        add_attempts(
            [(user.id, noon - timedelta(days=2), True, "", "ok", "totp")]
            + [(user.id, noon - timedelta(days=3), False, "", "bad_code", "totp")]
        )
    login(client, "methods@example.com")  # a password sign-in, today
    html = client.get("/dashboard/").get_data(as_text=True)
    select = html.split('<select name="method"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "password", "totp"]
    # A method asked for by hand stays selectable, even if the range has none of it.
    html = client.get("/dashboard/?method=passkey").get_data(as_text=True)
    select = html.split('<select name="method"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "password", "totp", "passkey"]
