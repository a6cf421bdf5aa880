"""In a real browser: an admin opens the analytics, compares two users, bulk-verifies a user
in Flask-Admin and downloads a report."""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from tests.analytics_data import add_attempts
from tests.helpers import PASSWORD
from webapp.extensions import db
from webapp.models import User, utcnow

pytestmark = pytest.mark.e2e


def test_admin_journey(app, live_server, page, user_factory):
    user_factory(email="boss@example.com", username="the_boss", role="admin")
    one = user_factory(email="one@example.com", username="user_one")
    two = user_factory(email="two@example.com", username="user_two")
    pending = user_factory(email="pending@example.com", username="pending_p", verified=False)
    with app.app_context():
        now = utcnow()
        add_attempts(
            [(one.id, now - timedelta(days=d), True) for d in range(1, 6)]
            + [(two.id, now - timedelta(days=d), d % 2 == 0) for d in range(1, 9)]
        )

    page.goto(f"{live_server}/auth/login")
    page.fill("#email", "boss@example.com")
    page.fill("#password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))

    page.click("nav >> text=Analytics")
    page.wait_for_url(re.compile(r"/dashboard/admin/"))
    page.wait_for_selector("#chart-trend[data-drawn=true] svg.main-svg")
    page.check(f"input[name='user_ids[]'][value='{one.id}']")
    page.check(f"input[name='user_ids[]'][value='{two.id}']")
    page.click("#compare-button")
    page.wait_for_selector("#chart-users-trend[data-drawn=true] svg.main-svg")
    legend = page.inner_text("#chart-users-trend")
    assert "user_one" in legend and "user_two" in legend

    with page.expect_download() as info:
        page.click("#report-button")
    download = info.value
    assert re.fullmatch(r"login_report_users_[\d-]+_[\d-]+\.xlsx", download.suggested_filename)
    with open(download.path(), "rb") as fh:  # the temporary file has no .xlsx suffix
        book = load_workbook(io.BytesIO(fh.read()))
    assert {row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)} == {
        "user_one",
        "user_two",
    }

    page.goto(f"{live_server}/admin/admin_users/?search=pending")
    page.check(f"input.action-checkbox[value='{pending.id}']")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=With selected")
    page.click("a:has-text('Mark email verified')")
    page.wait_for_selector(".alert-success")
    with app.app_context():
        assert db.session.get(User, pending.id).email_verified_at is not None
    assert page.errors == []
