"""In a real browser: the fixes of the screenshot tour stay fixed. Pages fit a 390 px phone,
charts keep their labels apart and follow the dark mode on every axis, percentages read alike,
and the API docs lead back to the app in its colour mode."""

import re

import pytest

from tests.e2e.test_look_browser import boxes_overlap, history  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
# How far a box scrolls sideways: 0 when everything in it is visible.
HIDDEN_WIDTH = "e => e.scrollWidth - e.clientWidth"
GRID_STROKES = """id => Array.from(document.querySelectorAll(`#${id} .gridlayer path`))
  .map(p => getComputedStyle(p).stroke)"""


def shown_headers(table) -> list[str]:
    """The header cells a reader sees (hidden columns left out)."""
    return table.locator("thead th").evaluate_all(
        "cells => cells.filter(c => c.getClientRects().length).map(c => c.innerText.trim())"
    )


def test_dark_mode_recolours_the_gridlines_of_every_panel(live_server, page, history):  # noqa: F811
    page.emulate_media(color_scheme="dark")
    history(page, live_server)
    border = page.evaluate(
        "getComputedStyle(document.body).getPropertyValue('--bs-border-color').trim()"
    )
    assert border == "#495057"  # Bootstrap's dark border colour
    strokes = page.evaluate(GRID_STROKES, "chart-devices")
    assert len(strokes) > 8  # both panels have gridlines
    assert set(strokes) == {"rgb(73, 80, 87)"}, strokes  # the OS panel too, never Plotly's #eee
    # After a switch to light mode, every panel follows again.
    page.click("#theme-toggle")
    page.click("[data-theme-value=light]")
    page.wait_for_selector("#chart-devices[data-theme=light]")
    assert "rgb(73, 80, 87)" not in page.evaluate(GRID_STROKES, "chart-devices")
    assert page.errors == []


def test_the_dashboard_fits_a_phone(live_server, page, history):  # noqa: F811
    page.set_viewport_size(PHONE)
    history(page, live_server)
    assert page.evaluate(FITS)
    table = page.locator("#activity-table")
    assert table.locator("td .badge.text-bg-danger").count() > 0  # "bad credentials" rows too
    assert page.locator(".table-responsive:has(#activity-table)").evaluate(HIDDEN_WIDTH) == 0
    assert [h.split(" ")[0] for h in shown_headers(table)] == ["When", "Outcome", "Method"]
    # The live list's badges sit in the middle of their row instead of filling its height.
    page.wait_for_selector("#live-signins[data-loaded=true]")
    for item in page.locator("#live-signins li").all():
        row, badge = item.bounding_box(), item.locator(".badge").bounding_box()
        assert badge["height"] < 30 and badge["height"] < row["height"] / 2
        assert abs((badge["y"] + badge["height"] / 2) - (row["y"] + row["height"] / 2)) < 2
    # Percentages on the cards and in the donut read alike.
    assert re.fullmatch(r"\d+\.\d%", page.inner_text("#stat-rate").strip())
    slices = page.locator("#chart-ratio .slicetext").evaluate_all("t => t.map(e => e.textContent)")
    assert slices and all(re.fullmatch(r"\d+\.\d%", s) for s in slices), slices
    # Every column comes back on a wider screen.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert len(shown_headers(table)) == 6
    assert page.errors == []


def test_account_pages_fit_a_phone(live_server, page, history):  # noqa: F811
    page.set_viewport_size(PHONE)
    history(page, live_server)
    for path, tables in (
        ("/account/sessions", ["#sessions-table", "#devices-table"]),
        ("/account/security", ["#security-events"]),
    ):
        page.goto(f"{live_server}{path}")
        assert page.evaluate(FITS), path
        for table in tables:
            box = page.locator(f".table-responsive:has({table})")
            assert box.evaluate(HIDDEN_WIDTH) == 0, table
    assert page.errors == []


def test_admin_analytics_at_phone_and_desktop_width(live_server, page, history):  # noqa: F811
    page.set_viewport_size(PHONE)
    history(page, live_server, role="admin")
    page.goto(f"{live_server}/dashboard/admin/")
    page.wait_for_selector("#chart-hours[data-drawn=true] svg.main-svg")
    assert page.evaluate(FITS)
    assert page.locator(".table-responsive:has(#batch-table)").evaluate(HIDDEN_WIDTH) == 0
    # The block form: one field a line, each as wide as the form.
    form = page.locator("#block-form").bounding_box()
    for field in ("#block-cidr", "#block-hours", "#block-reason"):
        assert page.locator(field).bounding_box()["width"] > form["width"] - 2, field

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    for chart in ("chart-trend", "chart-growth", "chart-ratio", "chart-hours"):
        page.wait_for_selector(f"#{chart}[data-drawn=true] svg.main-svg")
    # Hour labels with room between them in a third of the row.
    ticks = [t.bounding_box() for t in page.locator("#chart-hours .xtick text").all()]
    assert len(ticks) >= 4
    for left, right in zip(ticks, ticks[1:], strict=False):
        assert right["x"] - (left["x"] + left["width"]) >= 8
    # Every legend sits below its plot, clear of the title.
    for chart in ("chart-trend", "chart-ratio", "chart-hours"):
        legend = page.locator(f"#{chart} .legend").bounding_box()
        title = page.locator(f"#{chart} .gtitle").bounding_box()
        layer = ".pielayer" if chart == "chart-ratio" else ".cartesianlayer"
        plot = page.locator(f"#{chart} {layer}").bounding_box()
        assert not boxes_overlap(title, legend), chart
        assert legend["y"] >= plot["y"] + plot["height"] - 1, chart
    assert page.errors == []


@pytest.mark.parametrize("path, ready", [("/api/docs/", ".opblock"), ("/api/redoc/", "h1")])
def test_api_docs_lead_back_and_follow_the_dark_mode(live_server, page, path, ready):
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server}{path}")
    page.wait_for_selector(ready, timeout=20_000)
    assert page.evaluate("document.documentElement.getAttribute('data-bs-theme')") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(33, 37, 41)"
    back = page.locator("#api-docs-bar a")
    assert back.inner_text().strip() == "← Doorman"
    back.click()
    page.wait_for_url(f"{live_server}/")
    assert page.errors == []


# For each path: its text and the first character of each of its lines after the first.
LINE_BREAKS = """() => [...document.querySelectorAll('.opblock-summary-path span')].map(span => {
  const range = document.createRange();
  const breaks = [];
  let top = null;
  for (const node of span.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    for (let i = 0; i < node.length; i += 1) {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const y = range.getBoundingClientRect().top;
      if (top !== null && y > top + 2) breaks.push(node.data[i]);
      top = y;
    }
  }
  return [span.textContent, breaks];
})"""


def test_api_paths_break_only_before_a_slash_on_a_phone(live_server, page):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.evaluate(FITS)
    paths = page.evaluate(LINE_BREAKS)
    assert len(paths) >= 30
    for text, breaks in paths:
        assert all(c == "/" for c in breaks), (text, breaks)
    # Short paths keep one line: "/api/user/mfa/" is never cut into its segments.
    assert [text for text, breaks in paths if breaks and len(text) <= 30] == []
    assert page.errors == []
