"""In a real browser: Swagger UI and ReDoc render the schema from local assets only."""

import pytest

pytestmark = pytest.mark.e2e


def _outside_requests(page, origin):
    """Every request the page makes to another host (a CDN the CSP would block)."""
    outside = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((origin, "data:", "blob:" + origin)) else outside.append(r.url)
        ),
    )
    return outside


def test_swagger_ui(live_server, page):
    outside = _outside_requests(page, live_server)
    page.goto(f"{live_server}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 30
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert any(t.startswith("auth") for t in tags) and any(t.startswith("analytics") for t in tags)
    assert not any(t.startswith("default") for t in tags)
    assert page.errors == [] and outside == []


def test_redoc(live_server, page):
    outside = _outside_requests(page, live_server)
    page.goto(f"{live_server}/api/redoc/")
    page.wait_for_selector("text=Tokens, registration", timeout=20_000)  # the auth tag
    page.wait_for_selector("text=API docs by Redocly")
    page.wait_for_timeout(500)  # the footer's logo used to load a moment after
    # The footer's logo came from a CDN (blocked by the CSP, a console error): it is gone.
    assert page.errors == [] and outside == []
