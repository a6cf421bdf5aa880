"""In a real browser: "Secure my account" from the new-sign-in mail ends every session, makes
the user reset the password, and shows the admins the event."""

import re

import pytest

from tests.helpers import PASSWORD
from tests.security_helpers import AU, IPHONE, alerts_in, client_at, signed_in, token_login

pytestmark = pytest.mark.e2e


def _sign_in(page, live_server, email):
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


def test_secure_my_account_from_the_mail(app, live_server, browser, page, user_factory, outbox):
    admin = user_factory(role="admin", username="ada_admin")
    owner = user_factory(email="owen@example.com", username="owen_owner")
    _sign_in(page, live_server, owner.email)  # the owner's browser: known from now on

    # Someone else signs in with the password, from another country and device.
    intruder = signed_in(client_at(app, AU, IPHONE), owner.email)
    assert intruder.get("/api/user/me/").status_code == 200
    [mail] = alerts_in(outbox)
    assert "Australia (AU)" in mail.body and AU in mail.body
    link = re.search(r"Secure my account \(if it was not you\): (\S+)", mail.body).group(1)
    link = re.sub(r"^https?://[^/]+", live_server, link)

    # The owner opens the link in a fresh tab of the browser and confirms.
    page.goto(link)
    assert "Australia (AU)" in page.inner_text("#alert-details")
    page.click("#confirm-secure")
    page.wait_for_url(re.compile(r"/auth/forgot"))
    assert "every session has ended" in page.content()

    # Every session is over: the owner's browser and the intruder's API cookies.
    page.goto(f"{live_server}/dashboard/")
    page.wait_for_url(re.compile(r"/auth/login"))
    assert intruder.get("/api/user/me/").status_code == 401
    # The password no longer works: a reset is the only way back, and its link was mailed.
    assert token_login(client_at(app, AU, IPHONE), owner.email).status_code == 400
    assert any(m.recipients == [owner.email] and "reset" in m.subject for m in outbox)
    assert any(m.recipients == [admin.email] and "secured" in m.subject for m in outbox)

    # An admin sees the event in the back office.
    admin_context = browser.new_context()
    admin_page = admin_context.new_page()
    _sign_in(admin_page, live_server, admin.email)
    admin_page.goto(f"{live_server}/admin/admin_events/")
    listing = admin_page.content()
    assert "account_secured" in listing and owner.email in listing
    admin_page.goto(f"{live_server}/dashboard/admin/")
    assert "account secured" in admin_page.inner_text("#security-feed")
    admin_context.close()
