"""In a real browser: the zone picker's search and browser-zone button, the live widget's times."""

import re
from datetime import datetime

import pytest
from sqlalchemy import select, update

from tests.analytics_data import add_attempts
from tests.helpers import PASSWORD
from webapp.extensions import db
from webapp.models import User

pytestmark = pytest.mark.e2e


@pytest.fixture
def page_in(browser):
    """A page whose browser lives in a given zone and language (closed after the test)."""
    contexts = []

    def open_page(zone: str, locale: str = "en-US"):
        context = browser.new_context(timezone_id=zone, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


def test_the_zone_picker_searches_and_takes_the_browsers_zone(
    app, live_server, page_in, user_factory
):
    user = user_factory()
    page = page_in("Asia/Tokyo")
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server}/account/")
    assert page.locator("#timezone-tools").is_visible()
    page.fill("#timezone-filter", "new york")
    options = page.eval_on_selector_all("#timezone option", "els => els.map(e => e.value)")
    assert options == ["America/New_York"]
    assert page.input_value("#timezone") == "America/New_York"
    page.fill("#timezone-filter", "zzzz")
    assert page.inner_text("#timezone-status") == "No time zone matches."
    assert page.input_value("#timezone") == "America/New_York"  # the last useful list stays
    page.click("#timezone-browser")
    assert page.input_value("#timezone") == "Asia/Tokyo"
    assert "Asia/Tokyo selected" in page.inner_text("#timezone-status")
    assert page.locator("#timezone option").count() > 400  # the whole list is back
    page.click("#profile-form [type=submit]")
    page.wait_for_load_state()
    with app.app_context():
        saved = db.session.scalar(select(User.timezone).where(User.id == user.id))
    assert saved == "Asia/Tokyo"
    assert page.errors == []


def test_the_live_widget_shows_the_users_zone_not_the_browsers(
    app, live_server, page_in, user_factory
):
    user = user_factory()
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(timezone="Europe/Berlin"))
        db.session.commit()
        add_attempts([(user.id, datetime(2025, 1, 15, 8, 14, 27), True)])
    page = page_in("America/Los_Angeles")  # a 12-hour browser, nine hours behind Berlin
    sign_in(page, live_server, user.email)
    page.wait_for_selector("#live-signins[data-loaded=true]")
    items = page.locator("#live-signins li").all_inner_texts()
    assert any(item.startswith("15 Jan 2025, 09:14 CET · ") for item in items), items
    assert all(re.match(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d CES?T · ", item) for item in items), items
    assert page.errors == []
