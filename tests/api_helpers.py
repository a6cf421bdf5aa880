"""Helpers for API tests: JSON calls, token login, Authorization headers."""

from __future__ import annotations

from tests.helpers import PASSWORD

BASE = "/api/user"


def api_login(client, email: str, password: str = PASSWORD, **extra):
    """POST token/ with JSON."""
    return client.post(
        f"{BASE}/token/",
        json={"email": email, "password": password, **extra},
        environ_base=extra.pop("environ_base", None) or {},
    )


def bearer(token: str, scheme: str = "Bearer") -> dict:
    """An Authorization header."""
    return {"Authorization": f"{scheme} {token}"}


def tokens_for(client, user, password: str = PASSWORD) -> dict:
    """Log a user in through the API and return the response body."""
    response = api_login(client, user.email, password)
    assert response.status_code == 200, response.json
    return response.json
