"""In a real browser: register, read the mail from instance/mail, verify, log in, log out."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def newest_mail(app) -> str:
    folder = Path(app.instance_path) / "mail"
    files = sorted(folder.glob("*.eml"))
    assert files, "no mail saved"
    import email

    message = email.message_from_bytes(files[-1].read_bytes())
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def test_register_verify_login_logout(app, live_server, page):
    page.goto(f"{live_server}/auth/register")
    page.fill("#username", "browser_bea")
    page.fill("#email", "bea@example.com")
    page.fill("#password", "a-long-browser-secret-7")
    page.fill("#password_repeat", "a-long-browser-secret-7")
    page.click("#register-form [type=submit]")
    page.wait_for_url(re.compile(r"/auth/verify\?email="))
    assert "We sent a link and a code" in page.content()

    body = newest_mail(app)
    link = re.search(r"(http://\S+/auth/verify/\S+)", body).group(1)
    page.goto(link)
    page.wait_for_url(re.compile(r"/auth/login"))
    assert "verified" in page.inner_text(".alert")

    page.fill("#email", "bea@example.com")
    page.fill("#password", "a-long-browser-secret-7")
    with page.expect_request(lambda r: r.method == "POST" and "/auth/login" in r.url) as sent:
        page.click("#login-form [type=submit]")
    body = sent.value.post_data
    # WebCrypto encrypted the password: the plain one never left the browser.
    assert re.search(r"encrypted_password=[0-9a-f]{512}", body)
    assert "a-long-browser-secret-7" not in body
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.wait_for_selector("#live-signins[data-loaded=true]")
    assert "success" in page.inner_text("#live-signins")
    assert page.inner_text("#nav-user") == "browser_bea"
    assert page.locator("#activity-table tbody tr").count() == 1

    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("#nav-user").count() == 0
    assert "logged out" in page.inner_text(".alert")
    assert page.errors == []


def test_wrong_password_then_reset_in_the_browser(app, live_server, page, user_factory):
    user_factory(email="cy@example.com", username="cyrus")
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", "cy@example.com")
    page.fill("#password", "not-the-right-one")
    page.click("#login-form [type=submit]")
    assert "Invalid email or password." in page.inner_text(".alert-danger")

    page.click("text=Forgot your password?")
    page.fill("#email", "cy@example.com")
    page.click("#forgot-form [type=submit]")
    page.wait_for_url(re.compile(r"/auth/login"))
    link = re.search(r"(http://\S+/auth/reset/\S+)", newest_mail(app)).group(1)
    page.goto(link)
    page.fill("#password", "fresh-browser-secret-9")
    page.fill("#password_repeat", "fresh-browser-secret-9")
    page.click("#reset-form [type=submit]")
    page.wait_for_url(re.compile(r"/auth/login"))
    page.fill("#email", "cy@example.com")
    page.fill("#password", "fresh-browser-secret-9")
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    assert page.inner_text("#nav-user") == "cyrus"
    assert page.errors == []
