"""In a real browser with a virtual authenticator (Chrome DevTools Protocol): add a passkey,
sign in with it usernameless, use it as the second factor, remove it; and re-authenticate
before a sensitive change.

Chromium refuses WebAuthn on an IP address ("This is an invalid domain"), so the pages are
opened on http://localhost:<port>, the RP id the defaults use."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.helpers import PASSWORD
from webapp.extensions import db
from webapp.models import LoginAttempt, UserSession, utcnow

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(app, live_server):
    """The live server's address by name, and the app accepting passkeys from it."""
    url = live_server.replace("127.0.0.1", "localhost")
    app.config["WEBAUTHN_ORIGINS"] = url
    return url


@pytest.fixture
def authenticator(page):
    """A virtual platform authenticator with resident keys and user verification."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield cdp, found["authenticatorId"]


def _password_step(page, site, email):
    page.goto(f"{site}/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form [type=submit]")


def _log_out(page):
    page.click("#logout-button")
    page.wait_for_url(re.compile(r"/$"))


def _methods(app):
    with app.app_context():
        rows = db.session.execute(select(LoginAttempt).order_by(LoginAttempt.id)).scalars()
        return [(a.method, a.reason) for a in rows]


def test_add_sign_in_usernameless_second_factor_and_remove(
    app, site, page, user_factory, authenticator
):
    cdp, authenticator_id = authenticator
    person = user_factory(email="pia@example.com", username="pia_passkey")
    _password_step(page, site, person.email)
    page.wait_for_url(re.compile(r"/dashboard/"))

    page.goto(f"{site}/account/passkeys")
    page.fill("#passkey-add-form #name", "This laptop")
    page.click("#passkey-add")
    page.wait_for_selector("#passkey-list")
    assert page.input_value("#passkey-list input[name$=name]") == "This laptop"
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"] is True
    _log_out(page)

    # Usernameless through the autofill (conditional UI): the virtual authenticator picks its
    # passkey as soon as the login page offers it, with no email typed.
    page.goto(f"{site}/auth/login")
    page.wait_for_url(re.compile(r"/dashboard/"))
    assert page.inner_text("#nav-user") == "pia_passkey"
    _log_out(page)

    # Usernameless through the button, where the browser offers no autofill.
    page.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"
    )
    page.goto(f"{site}/auth/login")
    page.click("#passkey-login")
    page.wait_for_url(re.compile(r"/dashboard/"))
    assert page.inner_text("#nav-user") == "pia_passkey"
    _log_out(page)

    # The password, then the passkey as the second factor.
    _password_step(page, site, person.email)
    page.wait_for_url(re.compile(r"/auth/mfa"))
    page.click("#mfa-passkey")
    page.wait_for_url(re.compile(r"/dashboard/"))

    page.goto(f"{site}/account/passkeys")
    assert "never" not in page.inner_text("#passkey-list")  # last used: just now
    page.click(".passkey-remove [type=submit]")
    page.wait_for_selector("#no-passkeys")
    assert page.errors == []
    assert [m for m in _methods(app) if m[0] == "passkey"] == [("passkey", "ok")] * 3


def test_a_stale_session_confirms_the_password_before_changing_it(app, site, page, user_factory):
    person = user_factory(email="rey@example.com", username="rey_reauth")
    _password_step(page, site, person.email)
    page.wait_for_url(re.compile(r"/dashboard/"))
    with app.app_context():
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == person.id)
            .values(created_at=utcnow() - timedelta(minutes=11))
        )
        db.session.commit()

    page.goto(f"{site}/account/password")
    page.wait_for_url(re.compile(r"/account/reauth\?next="))
    page.fill("#reauth-form #secret", PASSWORD)
    page.click("#reauth-form [type=submit]")
    page.wait_for_url(re.compile(r"/account/password$"))
    page.fill("#current_password", PASSWORD)
    page.fill("#password", "another-long-passphrase-77")
    page.fill("#password_repeat", "another-long-passphrase-77")
    page.click("#password-form [type=submit]")
    page.wait_for_url(re.compile(r"/account/$"))
    assert page.errors == []
