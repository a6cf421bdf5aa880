"""In a real browser: enrol in TOTP, sign in with it, with a recovery code, trust the
browser; and sign in with a mailed code instead of the password."""

import re

import pyotp
import pytest

from tests.e2e.test_signup_journey import newest_mail
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e


def _password_step(page, live_server, email):
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form [type=submit]")


def _log_out(page):
    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/$"))


def test_enrol_then_totp_recovery_code_and_trusted_browser(
    app, live_server, page, user_factory, clock
):
    person = user_factory(email="tia@example.com", username="tia_totp")
    _password_step(page, live_server, person.email)
    page.wait_for_url(re.compile(r"/dashboard/"))

    page.goto(f"{live_server}/account/mfa")
    page.click("#setup-form [type=submit]")
    page.wait_for_selector("#mfa-qr svg")
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#confirm-form #code", pyotp.TOTP(secret).at(clock.now))
    page.click("#confirm-form [type=submit]")
    page.wait_for_selector("#recovery-codes")
    codes = [c.strip() for c in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10
    page.click("#codes-saved")
    assert page.inner_text("#codes-left") == "10"
    _log_out(page)

    # Password, then the code of the next time step.
    clock.step()
    _password_step(page, live_server, person.email)
    page.wait_for_url(re.compile(r"/auth/mfa"))
    page.fill("#code", pyotp.TOTP(secret).at(clock.now))
    page.click("#mfa-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    assert page.inner_text("#nav-user") == "tia_totp"
    _log_out(page)

    # Password, then a recovery code.
    _password_step(page, live_server, person.email)
    page.wait_for_url(re.compile(r"/auth/mfa"))
    page.select_option("#method", "recovery_code")
    page.fill("#code", codes[0])
    page.click("#mfa-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    _log_out(page)

    # Trust this browser: the next sign-in needs the password alone.
    clock.step()
    _password_step(page, live_server, person.email)
    page.wait_for_url(re.compile(r"/auth/mfa"))
    page.fill("#code", pyotp.TOTP(secret).at(clock.now))
    page.check("#trust")
    page.click("#mfa-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.goto(f"{live_server}/account/sessions")
    assert page.locator("#trusted-browsers-table tbody tr").count() == 1
    _log_out(page)
    _password_step(page, live_server, person.email)
    page.wait_for_url(re.compile(r"/dashboard/"))
    assert page.inner_text("#nav-user") == "tia_totp"
    assert page.errors == []


def test_passwordless_code_sign_in(app, live_server, page, user_factory):
    person = user_factory(email="pia@example.com", username="pia_code")
    page.goto(f"{live_server}/auth/login")
    page.click("#login-code-link")
    page.fill("#email", person.email)
    page.click("#login-code-form [type=submit]")
    page.wait_for_url(re.compile(r"/auth/login-code/verify"))
    assert "If this address can sign in" in page.inner_text(".alert")
    code = re.search(r"\b(\d{6})\b", newest_mail(app)).group(1)
    assert page.input_value("#email") == person.email
    page.fill("#code", code)
    page.click("#login-code-verify-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    assert page.inner_text("#nav-user") == "pia_code"
    assert page.errors == []
