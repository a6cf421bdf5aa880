"""In a real browser: the back office wears the app's navbar and fits a phone; the admin
analytics take a custom date range."""

import re
from datetime import timedelta

import pytest

from tests.analytics_data import add_attempts
from tests.e2e.test_look_browser import axe_violations
from tests.helpers import PASSWORD
from webapp.models import utcnow

pytestmark = pytest.mark.e2e

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


@pytest.fixture
def admin_with_people(app, user_factory):
    """An admin, a dozen users with long addresses and a few sign-ins each."""
    admin = user_factory(email="chief@example.com", username="the_chief", role="admin")
    people = [
        user_factory(
            email=f"someone.with.a.rather.long.address.{i}@subdomain.example.com",
            username=f"long_username_{i:02d}",
        )
        for i in range(12)
    ]
    with app.app_context():
        now = utcnow()
        add_attempts([(p.id, now - timedelta(days=d), d % 2 == 0) for p in people for d in (1, 3)])
    return admin


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_user_list_fits_the_screen(live_server, page, admin_with_people, mode, width):
    page.emulate_media(color_scheme=mode)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "chief@example.com")
    for path in ("/admin/admin_users/", "/admin/admin_attempts/", "/admin/admin_sessions/"):
        page.goto(f"{live_server}{path}")
        page.wait_for_selector("table.model-list")
        assert page.evaluate(OVERFLOW) <= 0, path
        table = page.locator(".table-responsive").first.bounding_box()
        assert table["x"] >= 0 and table["x"] + table["width"] <= width
        if width == 1280:  # a laptop sees the whole table without scrolling it
            assert (
                page.evaluate(
                    "(() => { const b = document.querySelector('.table-responsive');"
                    " return b.scrollWidth - b.clientWidth; })()"
                )
                <= 0
            ), path
    assert axe_violations(page) == []
    # A record's page wraps its long values (a user agent) instead of widening the page.
    page.goto(f"{live_server}/admin/admin_attempts/")
    page.click("table.model-list a.icon >> nth=0")
    page.wait_for_selector("table.searchable")
    # The table is parsed before the scripts at the end of the body run: a click on the
    # navbar toggler before that would find no handler and leave the menu shut.
    page.wait_for_load_state("load")
    assert "Mozilla/5.0" in page.inner_text("table.searchable")
    assert page.evaluate(OVERFLOW) <= 0
    # The app's navbar, with its colour-mode menu and its log-out button.
    assert page.locator("nav >> text=Analytics").count() == 1
    assert page.evaluate("document.documentElement.getAttribute('data-bs-theme')") == mode
    if width < 768:
        page.click(".navbar-toggler >> nth=0")
    page.click("#theme-toggle")
    other = "light" if mode == "dark" else "dark"
    page.click(f"[data-theme-value={other}]")
    assert page.evaluate("document.documentElement.getAttribute('data-bs-theme')") == other
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(33, 37, 41)") == (other == "dark")
    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/$|/auth/login"))
    assert page.goto(f"{live_server}/admin/").url.find("/auth/login") > 0
    assert page.errors == []


def test_admin_analytics_custom_range(live_server, page, admin_with_people):
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, live_server, "chief@example.com")
    page.goto(f"{live_server}/dashboard/admin/?q=long_username_0")
    page.wait_for_selector("#chart-trend[data-drawn=true] svg.main-svg")
    form = page.locator("#range-form")
    # The end may not come before the start: the browser keeps the form and says why.
    form.locator("[name=start_date]").fill("2026-02-10")
    form.locator("[name=end_date]").fill("2026-02-01")
    assert not form.locator("[name=end_date]").evaluate("e => e.checkValidity()")
    form.locator("[name=end_date]").fill("2026-03-15")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"start_date=2026-02-10&end_date=2026-03-15"))
    assert "q=long_username_0" in page.url  # the search stays
    page.wait_for_selector("#chart-growth[data-drawn=true] svg.main-svg")
    assert "2026-02-10 to 2026-03-15" in page.inner_text("main")
    assert "New accounts per week" in page.inner_text("#chart-growth")
    assert page.evaluate(OVERFLOW) <= 0
    # Nobody ticked: the report asks first, then exports everyone the search finds.
    page.click("#report-button")
    page.wait_for_selector("#export-everyone")
    with page.expect_download() as info:
        page.click("#export-everyone-button")
    assert info.value.suggested_filename.endswith(".xlsx")
    assert page.errors == []
