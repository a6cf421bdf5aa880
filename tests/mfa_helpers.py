"""Fixtures and helpers for second-factor tests: a settable clock, an enrolled user, codes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyotp
import pytest

from tests.helpers import make_user
from webapp.extensions import db
from webapp.models import User
from webapp.services import mfa

T0 = 1_800_000_000.0  # a fixed moment at the start of a 30 s step (1_800_000_000 / 30 = 60_000_000)


@dataclass
class Clock:
    """The time the TOTP checks see."""

    now: float = T0

    def step(self, n: int = 1) -> None:
        """Move n time steps on."""
        self.now += 30 * n


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for the TOTP checks (mfa.clock), starting at T0."""
    c = Clock()
    monkeypatch.setattr(mfa, "clock", lambda: c.now)
    return c


@dataclass
class Enrolled:
    """A user with TOTP on: the plain secret and the 10 recovery codes."""

    user: User
    secret: str
    codes: list[str] = field(default_factory=list)

    def code(self, at: float) -> str:
        """The TOTP code of the step holding a moment."""
        return pyotp.TOTP(self.secret).at(at)


def enrol(app, clock: Clock, **user_kwargs) -> Enrolled:
    """Create a user and turn TOTP on through the service, three steps before the clock."""
    with app.test_request_context():
        user = make_user(**user_kwargs)
        user = db.session.get(User, user.id)
        setup = mfa.start_totp_setup(user)
        saved = clock.now
        clock.now -= 90
        codes = mfa.confirm_totp(user, pyotp.TOTP(setup.secret).at(clock.now))
        clock.now = saved
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return Enrolled(user, setup.secret, codes)


@pytest.fixture
def enrolled(app, clock):
    """A verified user with TOTP on."""
    return enrol(app, clock)
