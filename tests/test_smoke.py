"""The app starts, serves its pages, and sends its security headers."""

import pytest


@pytest.mark.parametrize(
    "path", ["/", "/auth/login", "/auth/register", "/auth/forgot", "/auth/verify"]
)
def test_public_pages(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "cdn." not in html
