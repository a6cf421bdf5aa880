"""In a real browser: Swagger UI and ReDoc render the schema from local assets."""

import pytest

pytestmark = pytest.mark.e2e


def test_swagger_ui(live_server, page):
    page.goto(f"{live_server}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 30
    assert page.errors == []


def test_redoc(live_server, page):
    page.goto(f"{live_server}/api/redoc/")
    page.wait_for_selector("text=Log in", timeout=20_000)
    # The bundle's footer links a logo on a CDN; the CSP blocks it, so nothing is fetched.
    others = [e for e in page.errors if "cdn.redoc.ly" not in e]
    assert others == []
