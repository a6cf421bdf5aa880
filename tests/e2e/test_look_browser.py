"""In a real browser: colour modes, the dashboard on a phone, the avatar limit, and an axe-core
scan (WCAG 2 A/AA) of the main pages and the back office."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.analytics_data import IPHONE, add_attempts
from tests.e2e.test_dashboard_browser import DASHBOARD_CHARTS
from tests.helpers import PASSWORD
from webapp.models import utcnow

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "assets" / "axe.min.js"


@pytest.fixture
def history(app, user_factory):
    """Sign in as a user (or admin) with two months of attempts, then open the dashboard."""

    def sign_in(page, live_server, role=None):
        user = user_factory(email="look@example.com", username="looker", role=role or "user")
        with app.app_context():
            now = utcnow()
            add_attempts(
                [(user.id, now - timedelta(days=d, hours=d % 9), d % 3 != 0) for d in range(1, 60)]
                + [(user.id, now - timedelta(days=2), True, IPHONE)]
            )
        page.goto(f"{live_server}/auth/login")
        page.fill("#email", "look@example.com")
        page.fill("#password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(re.compile(r"/dashboard/"))
        for chart in DASHBOARD_CHARTS:
            page.wait_for_selector(f"#{chart}[data-drawn=true] svg.main-svg", timeout=20_000)
        return user

    return sign_in


def theme(page) -> str:
    return page.evaluate("document.documentElement.getAttribute('data-bs-theme')")


def title_colour(page, chart: str) -> str:
    return page.locator(f"#{chart} .gtitle").first.evaluate("e => getComputedStyle(e).fill")


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_dark_mode_toggle_is_remembered_and_charts_follow(live_server, page, history):
    page.emulate_media(color_scheme="light")
    history(page, live_server)
    assert theme(page) == "light"
    light_title = title_colour(page, "chart-trend")

    page.click("#theme-toggle")
    page.click("[data-theme-value=dark]")
    assert theme(page) == "dark"
    for chart in DASHBOARD_CHARTS:
        page.wait_for_selector(f"#{chart}[data-theme=dark]")
    dark_title = title_colour(page, "chart-trend")
    assert dark_title != light_title
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(33, 37, 41)"

    # Remembered, and applied before the first paint: the <head> script runs before <body>.
    page.reload()
    assert page.evaluate("localStorage.getItem('doorman-theme')") == "dark"
    assert theme(page) == "dark"
    page.wait_for_selector("#chart-trend[data-drawn=true][data-theme=dark]")
    assert page.get_attribute("[data-theme-value=dark]", "aria-pressed") == "true"

    # "Auto" follows the system again, live.
    page.click("#theme-toggle")
    page.click("[data-theme-value=auto]")
    assert theme(page) == "light"
    page.wait_for_selector("#chart-trend[data-theme=light]")
    page.emulate_media(color_scheme="dark")
    page.wait_for_selector("#chart-trend[data-theme=dark]")
    assert theme(page) == "dark"
    assert page.errors == []


def test_the_system_mode_is_followed_by_default(live_server, page):
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server}/")
    assert theme(page) == "dark"
    assert page.errors == []


def test_phone_dashboard(live_server, page, history, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    history(page, live_server)
    page.screenshot(path=str(tmp_path / "dashboard-390.png"), full_page=True)
    assert (tmp_path / "dashboard-390.png").stat().st_size > 10_000
    # No mode bar over the titles; title and legend never share a line.
    assert page.locator("#charts .modebar").count() == 0
    for chart in DASHBOARD_CHARTS:
        title = page.locator(f"#{chart} .gtitle").first.bounding_box()
        for legend in page.locator(f"#{chart} .legend").all():
            assert not boxes_overlap(title, legend.bounding_box()), chart
    # Device labels sit left of their bars, not on them.
    labels = page.locator("#chart-devices .ytick text").all()
    bars = page.locator("#chart-devices .bars .point").all()
    assert labels and bars
    for bar in bars:
        box = bar.bounding_box()
        for label in labels:
            assert not boxes_overlap(box, label.bounding_box())
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    assert page.errors == []


def test_heatmap_hour_labels_fit_at_desktop_width(live_server, page, history):
    page.set_viewport_size({"width": 1280, "height": 900})
    history(page, live_server)
    chart = page.locator("#chart-heatmap").bounding_box()
    ticks = [t.bounding_box() for t in page.locator("#chart-heatmap .xtick text").all()]
    assert len(ticks) >= 6
    for box in ticks:
        assert box["y"] + box["height"] <= chart["y"] + chart["height"]
    for left, right in zip(ticks, ticks[1:], strict=False):
        assert not boxes_overlap(left, right)
    # The mode bar stays on desktop, where it does not cover the titles.
    assert page.locator("#chart-heatmap .modebar").count() == 1


def test_a_too_large_avatar_is_refused_before_upload(live_server, page, history):
    history(page, live_server)
    page.goto(f"{live_server}/account/")
    uploads = []
    page.on("request", lambda r: r.method == "POST" and uploads.append(r.url))
    page.set_input_files(
        "#avatar",
        files=[{"name": "big.png", "mimeType": "image/png", "buffer": b"\0" * (3 * 1024 * 1024)}],
    )
    message = page.locator("#avatar-too-large")
    assert message.is_visible() and "2 MiB" in message.inner_text()
    page.click("#avatar-form [type=submit]")
    page.wait_for_timeout(300)
    assert uploads == [] and page.url.endswith("/account/")


def axe_violations(page) -> list[str]:
    """Serious and critical WCAG 2 A/AA violations on the current page."""
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_serious_violations(live_server, page, history, mode, width):
    page.emulate_media(color_scheme=mode)
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in ("/", "/auth/login"):
        page.goto(f"{live_server}{path}")
        found[path] = axe_violations(page)
    history(page, live_server, role="admin")
    found["/dashboard/"] = axe_violations(page)
    page.goto(f"{live_server}/admin/")
    found["/admin/"] = axe_violations(page)
    assert found == {path: [] for path in found}
    assert page.errors == []
