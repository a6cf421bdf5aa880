"""Test helpers: factories, CSRF-aware form posts, signing in as a role."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from webapp.extensions import db
from webapp.models import User
from webapp.services.auth import create_user

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_user(
    email: str | None = None,
    username: str | None = None,
    password: str | None = PASSWORD,
    *,
    role: str = "user",
    verified: bool = True,
    active: bool = True,
) -> User:
    """Create and commit a user."""
    n = next(_seq)
    user = create_user(
        username or f"person{n:04d}",
        email or f"person{n:04d}@example.com",
        password,
        role=role,
        verified=verified,
        source="test",
    )
    user.is_active = active
    db.session.commit()
    db.session.refresh(user)
    db.session.expunge(user)
    return user


def csrf_token(client, path: str = "/auth/login") -> str:
    """Fetch a page and return the CSRF token its forms carry (the token is per session,
    so the landing or login page serves when that page has no form)."""
    for page in (path, "/", "/auth/login"):
        match = CSRF_RE.search(client.get(page).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError(f"no CSRF token on {path}")


def post_form(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST a form with a valid CSRF token taken from token_from (default: the same path)."""
    payload = {"csrf_token": csrf_token(client, token_from or path), **data}
    return client.post(path, data=payload, **kwargs)


def login(client, email: str, password: str = PASSWORD, *, headers=None, **fields):
    """Log in through the web form; extra keyword arguments are form fields."""
    data = {"email": email, "password": password, **fields}
    return post_form(client, "/auth/login", data, headers=headers)


@dataclass
class Actor:
    """Who the client is signed in as (None for anonymous)."""

    role: str | None
    user: User | None

    @classmethod
    def sign_in(cls, client, role: str | None, user: User | None) -> Actor:
        """Log the client in as user (anonymous: do nothing)."""
        if user is None:
            return cls(None, None)
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return cls(role, user)
