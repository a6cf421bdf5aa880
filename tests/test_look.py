"""The look through HTTP: colour-mode wiring, rules shown before submitting, a friendly 413."""

import io
import re

import pytest

from tests.helpers import login, post_form


@pytest.fixture
def me(client, user_factory):
    user_factory(email="look@example.com", username="looker")
    login(client, "look@example.com")


def described_by(html: str, field_id: str) -> str:
    """The help text an input points at with aria-describedby."""
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', html).group(0)
    help_id = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    return re.search(rf'id="{help_id}">(.*?)</div>', html, re.S).group(1)


def test_the_colour_mode_is_set_in_head_before_the_styles_by_a_static_script(client):
    html = client.get("/").get_data(as_text=True)
    head = html.split("</head>")[0]
    theme = head.index("/static/js/theme.")
    assert theme < head.index('rel="stylesheet"')
    assert not re.search(r"<script>(?!</script>)", html)  # no inline script (CSP)
    values = re.findall(r'data-theme-value="(\w+)"', html)
    assert values == ["light", "dark", "auto"]
    assert 'id="theme-toggle"' in html and "bg-light" not in html


def test_register_shows_the_username_and_password_rules(client, app):
    html = client.get("/auth/register").get_data(as_text=True)
    assert "4 to 32 characters" in described_by(html, "username")
    rules = described_by(html, "password")
    low, high = app.config["PASSWORD_MIN_LENGTH"], app.config["PASSWORD_MAX_LENGTH"]
    assert f"{low} to {high} characters" in rules and "common password" in rules


@pytest.mark.parametrize("path", ["/account/password", "/account/"])
def test_account_forms_show_their_rules(client, me, path):
    html = client.get(path).get_data(as_text=True)
    if path == "/account/password":
        assert "characters" in described_by(html, "password")
    else:
        assert "4 to 32 characters" in described_by(html, "username")


def test_the_avatar_input_has_a_label_its_limit_and_a_browser_check(client, me):
    html = client.get("/account/").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="avatar"[^>]*>', html)
    assert "2 MiB" in described_by(html, "avatar")
    assert 'data-max-bytes="2097152"' in html
    assert "/static/js/upload-limit." in html


def test_a_too_large_avatar_gets_a_friendly_page_that_names_the_limit(client, app, me):
    too_big = io.BytesIO(b"\xff" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    r = post_form(
        client,
        "/account/avatar",
        {"avatar": (too_big, "huge.jpg")},
        token_from="/account/",
        content_type="multipart/form-data",
    )
    assert r.status_code == 413
    html = r.get_data(as_text=True)
    assert "at most 2 MiB" in html
    assert 'id="back-to-form"' in html and 'href="/account/"' in html


def test_other_413s_keep_the_general_message(client, app):
    r = client.post(
        "/auth/login",
        data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)},
    )
    assert r.status_code == 413
    assert "2 MiB" not in r.get_data(as_text=True)


def test_flask_admin_pages_name_their_language_and_load_the_contrast_fixes(client, actor):
    actor("admin")
    for path in ("/admin/", "/admin/admin_users/"):
        html = client.get(path).get_data(as_text=True)
        assert html.lstrip().startswith("<!DOCTYPE html>")
        assert '<html lang="en">' in html, path
        assert "/static/css/admin." in html
