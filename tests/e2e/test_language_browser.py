"""In a real browser: the language menu switches the page and the choice survives a reload."""

import re

import pytest

from tests.helpers import PASSWORD
from webapp.extensions import db
from webapp.models import User

pytestmark = pytest.mark.e2e


def choose(page, name: str) -> None:
    """Open the navbar's language menu and pick a language by its own name."""
    page.click("#language-toggle")
    page.click(f"#language-menu button:has-text('{name}')")


def test_a_visitor_switches_to_german_and_stays(page, live_server):
    page.goto(f"{live_server}/auth/login")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"

    choose(page, "Deutsch")
    page.wait_for_url(re.compile(r"/auth/login$"))  # back where the visitor was
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Anmelden"
    assert page.get_by_role("link", name="Passwort vergessen?").is_visible()
    assert page.locator("#language-toggle").inner_text().strip() == "DE"

    page.reload()
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Anmelden"

    choose(page, "Español")
    assert page.locator("h1").inner_text() == "Iniciar sesión"
    assert page.errors == []


def test_a_signed_in_switch_is_kept_on_the_profile(page, live_server, app, user_factory):
    user = user_factory(email="greta@example.com")
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", "greta@example.com")
    page.fill("#password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))

    choose(page, "Deutsch")
    page.wait_for_url(re.compile(r"/dashboard/"))
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("button", name="Abmelden").is_visible()
    with app.app_context():
        assert db.session.get(User, user.id).language == "de"

    page.goto(f"{live_server}/account/")
    assert page.locator("#language").input_value() == "de"
    # Back to the browser's choice, from the profile.
    page.select_option("#language", "")
    page.click("#profile-form [type=submit]")
    page.wait_for_url(re.compile(r"/account/$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#language").input_value() == ""
