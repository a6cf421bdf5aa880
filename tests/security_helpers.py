"""Helpers of the security tests: clients at chosen addresses, sign-ins, the new-sign-in mail.

Addresses are real public ones whose country the bundled iptocc table knows (no network is
used): GB 81.2.69.160, AU 1.1.1.1, DE 217.160.0.1, US 8.8.8.8, JP 133.0.0.1.
"""

from __future__ import annotations

from tests.helpers import PASSWORD

GB, GB_SAME_NET, GB_OTHER_NET = "81.2.69.160", "81.2.69.161", "81.2.70.10"
AU, DE, US, JP = "1.1.1.1", "217.160.0.1", "8.8.8.8", "133.0.0.1"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
NEW_SIGN_IN = "Doorman: New sign-in to your account"
QUIET = {"RATELIMIT_ENABLED": False}  # many attempts from one address in one test


def client_at(app, ip: str, user_agent: str = FIREFOX):
    """A client of its own address and browser."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def token_login(client, email: str, password: str = PASSWORD):
    """One sign-in through the API."""
    return client.post("/api/user/token/", json={"email": email, "password": password})


def signed_in(client, email: str, password: str = PASSWORD):
    """Sign in through the API and insist it worked; returns the client."""
    response = token_login(client, email, password)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return client


def alerts_in(outbox) -> list:
    """The new-sign-in mails sent so far."""
    return [m for m in outbox if m.subject == NEW_SIGN_IN]
