"""Dates at the edge of the calendar: every date-taking route answers 400, never a 5xx."""

import pytest

from tests.api_helpers import BASE, bearer, tokens_for
from tests.helpers import login
from webapp.extensions import db as _db
from webapp.models import User

DATE_ERROR = {"error": "Invalid date format. Use YYYY-MM-DD format."}
WEB_DATE_ERROR = "Enter the date as YYYY-MM-DD."  # the pages' words for the API's

# Out of the accepted years (1970 to 9998): the last day of the calendar, the first day
# (a +05:30 viewer's midnight is before it in UTC), and the days either side of the bounds.
OUT_OF_RANGE = [
    "end_date=9999-12-31",
    "start_date=0001-01-01",
    "start_date=0001-01-01&end_date=0001-01-31",
    "start_date=9999-01-01",
    "end_date=1969-12-31",
]
# The bounds themselves are accepted.
IN_RANGE = [
    "start_date=1970-01-01&end_date=1970-01-31",
    "start_date=9998-12-01&end_date=9998-12-31",
    "end_date=1970-01-01",
    "start_date=9998-12-31",
]

API_ROUTES = [
    "/dashboard/stats/",
    "/{me}/dashboard/stats/",
    "/dashboard/login-activity/",
    "/{me}/dashboard/login-activity/",
    "/dashboard/charts/trends/",
    "/dashboard/charts/comparison/",
    "/dashboard/charts/distribution/",
    "/admin/dashboard/",
    "/admin/charts/",
    "/admin/dashboard/users/stats/",
    "/dashboard/report/download/",
    "/dashboard/report/download/?mode=grouped",
]
WEB_PAGES = ["/dashboard/", "/dashboard/admin/", "/dashboard/admin/users/{me}/"]  # drawn again
WEB_FILES = [
    "/dashboard/export.csv",
    "/dashboard/admin/report.xlsx",
    "/dashboard/admin/report.xlsx?mode=grouped",
]


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


@pytest.fixture
def kolkata_staff(app, user_factory):
    """A staff member whose dashboards are in Asia/Kolkata (+05:30)."""
    user = user_factory(email="edge@example.com", username="edgeuser", role="staff")
    with app.app_context():
        _db.session.get(User, user.id).timezone = "Asia/Kolkata"
        _db.session.commit()
    return user


def _with(path: str, query: str, user: User) -> str:
    path = path.format(me=user.id)
    return path + ("&" if "?" in path else "?") + query


@pytest.fixture
def api_get(app, kolkata_staff):
    client = app.test_client()
    headers = bearer(tokens_for(client, kolkata_staff)["access"])
    return lambda path, query: client.get(BASE + _with(path, query, kolkata_staff), headers=headers)


@pytest.fixture
def web_get(app, kolkata_staff):
    client = app.test_client()
    login(client, kolkata_staff.email)
    return lambda path, query: client.get(_with(path, query, kolkata_staff))


@pytest.mark.parametrize("query", OUT_OF_RANGE)
@pytest.mark.parametrize("path", API_ROUTES)
def test_api_refuses_dates_out_of_range(api_get, path, query):
    r = api_get(path, query)
    assert (r.status_code, r.json) == (400, DATE_ERROR)


@pytest.mark.parametrize("query", IN_RANGE)
@pytest.mark.parametrize("path", API_ROUTES)
def test_api_accepts_the_bounds(api_get, path, query):
    assert api_get(path, query).status_code == 200


@pytest.mark.parametrize("query", OUT_OF_RANGE)
@pytest.mark.parametrize("path", WEB_PAGES)
def test_web_pages_are_drawn_with_the_date_error(web_get, path, query):
    r = web_get(path, query)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert WEB_DATE_ERROR in html and 'class="btn btn-primary preset"' in html  # the page


@pytest.mark.parametrize("query", OUT_OF_RANGE)
@pytest.mark.parametrize("path", WEB_FILES)
def test_web_downloads_refuse_dates_out_of_range(web_get, path, query):
    r = web_get(path, query)
    assert r.status_code == 400
    assert WEB_DATE_ERROR in r.get_data(as_text=True)


@pytest.mark.parametrize("query", IN_RANGE)
@pytest.mark.parametrize("path", WEB_PAGES + WEB_FILES)
def test_web_accepts_the_bounds(web_get, path, query):
    r = web_get(path, query)
    assert r.status_code == 200
    r.get_data()  # a streamed body is read to its end without an error
