"""In a real browser: the dashboard draws every chart, presets change the data, no JS errors."""

import re
from datetime import timedelta

import pytest

from tests.analytics_data import IPHONE, add_attempts
from webapp.models import utcnow

pytestmark = pytest.mark.e2e

# The eight figures of the personal dashboard, by element id.
DASHBOARD_CHARTS = [
    "chart-trend",
    "chart-comparison",
    "chart-period",
    "chart-hours",
    "chart-weekdays",
    "chart-heatmap",
    "chart-ratio",
    "chart-devices",
]


def test_dashboard_charts_and_presets(app, live_server, page, user_factory):
    user = user_factory(email="viz@example.com", username="vizzy")
    with app.app_context():
        now = utcnow()
        add_attempts(
            [(user.id, now - timedelta(days=d, hours=d % 9), d % 3 != 0) for d in range(1, 60)]
            + [(user.id, now - timedelta(days=2), True, IPHONE)]
        )
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", "viz@example.com")
    page.fill("#password", "correct-horse-battery-staple")
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    for chart in DASHBOARD_CHARTS:
        page.wait_for_selector(f"#{chart}[data-drawn=true] svg.main-svg", timeout=20_000)
    assert page.locator("#chart-heatmap .heatmaplayer, #chart-heatmap .hm").count() >= 1
    thirty = int(page.inner_text("#stat-total"))

    page.click("a.preset:has-text('7 days')")
    page.wait_for_url(re.compile(r"start_date="))
    seven = int(page.inner_text("#stat-total"))
    assert seven < thirty
    page.wait_for_selector("#chart-trend[data-drawn=true] svg.main-svg")
    points = page.locator("#chart-trend .scatterlayer .trace").first.locator(".point").count()
    assert points == 7

    page.click("a.preset:has-text('90 days')")
    page.wait_for_url(re.compile(r"start_date="))
    assert int(page.inner_text("#stat-total")) > thirty

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.reload()
    page.wait_for_selector("#chart-trend[data-drawn=true] svg.main-svg")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"horizontal scrolling on a phone: {width}px"
    assert page.errors == []
