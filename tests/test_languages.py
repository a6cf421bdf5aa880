"""Languages: how a page's language is chosen, what is translated, and the catalogues."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.api_helpers import bearer, tokens_for
from tests.helpers import PASSWORD, login, post_form
from webapp.models import User

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SHIPPED = ("de", "es")
HTML_LANG = re.compile(r'<html lang="([a-z]+)"')


def page_language(response) -> str:
    """The language a page declares on its <html> element."""
    return HTML_LANG.search(response.get_data(as_text=True)).group(1)


def switch(client, language: str, next_url: str = "/auth/login", referrer: str | None = None):
    """Choose a language from the navbar menu (the form carries the page's path; the browser
    sends the page's address as the referrer)."""
    headers = {"Referer": referrer} if referrer else {}
    data = {"language": language, "next": next_url}
    return post_form(client, "/language", data, token_from="/", headers=headers)


# ---------------------------------------------------------------- choosing the language


@pytest.mark.parametrize(
    "header, language, words",
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de", "Anmelden"),
        ("es-ES,es;q=0.9", "es", "Iniciar sesión"),
        ("en-GB,en;q=0.9", "en", "Log in"),
        ("fr-FR,fr;q=0.9,es;q=0.4", "es", "Iniciar sesión"),  # the best shipped match
        ("fr-FR,ja;q=0.8", "en", "Log in"),  # nothing shipped: English
        ("", "en", "Log in"),
    ],
)
def test_accept_language_picks_the_best_shipped_language(client, header, language, words):
    r = client.get("/auth/login", headers={"Accept-Language": header})
    assert r.status_code == 200
    assert page_language(r) == language
    assert f"<title>{words} · Doorman</title>" in r.get_data(as_text=True)


def test_profile_language_wins_over_the_browser(client, db, user_factory):
    user = user_factory(email="hanna@example.com")
    login(client, user.email)
    r = post_form(
        client,
        "/account/",
        {"username": user.username, "timezone": "UTC", "language": "es"},
        token_from="/account/",
    )
    assert r.status_code == 302
    assert db.session.get(User, user.id).language == "es"
    r = client.get("/account/", headers={"Accept-Language": "de"})
    assert page_language(r) == "es"
    assert "Perfil guardado." in r.get_data(as_text=True)  # the flash, translated
    # "Browser default" clears it: the header decides again.
    post_form(
        client,
        "/account/",
        {"username": user.username, "timezone": "UTC", "language": ""},
        token_from="/account/",
    )
    assert db.session.get(User, user.id).language is None
    assert page_language(client.get("/account/", headers={"Accept-Language": "de"})) == "de"


def test_profile_refuses_a_language_it_does_not_ship(client, db, user_factory):
    user = user_factory()
    login(client, user.email)
    r = post_form(
        client,
        "/account/",
        {"username": user.username, "timezone": "UTC", "language": "fr"},
        token_from="/account/",
    )
    assert r.status_code == 400
    assert 'id="language"' in r.get_data(as_text=True)
    assert db.session.get(User, user.id).language is None


def test_visitor_switch_sets_a_cookie_that_outvotes_the_browser(client):
    r = switch(client, "de", next_url="/auth/register")
    assert r.status_code == 302
    assert r.location.endswith("/auth/register")
    assert "lang=de" in r.headers["Set-Cookie"]
    # Later visits, whatever the browser asks for, stay German.
    r = client.get("/auth/login", headers={"Accept-Language": "es"})
    assert page_language(r) == "de"
    assert "Passwort vergessen?" in r.get_data(as_text=True)


def test_switch_returns_to_the_page_with_its_query(client):
    page = "http://localhost/dashboard/?start_date=2026-01-01&end_date=2026-01-31"
    r = switch(client, "es", next_url="/dashboard/", referrer=page)
    assert r.location.endswith("/dashboard/?start_date=2026-01-01&end_date=2026-01-31")
    # Another site's address is never followed: the form's path is.
    r = switch(client, "es", next_url="/dashboard/", referrer="https://evil.example/x?y=1")
    assert r.location.endswith("/dashboard/")


def test_switch_refuses_unknown_languages_and_foreign_redirects(client):
    assert switch(client, "fr").status_code == 400
    assert switch(client, "../en").status_code == 400
    r = switch(client, "es", next_url="https://evil.example/")
    assert r.status_code == 302 and r.location.endswith("/")
    assert "evil" not in r.location


def test_signed_in_switch_updates_the_profile(client, db, user_factory):
    user = user_factory()
    login(client, user.email)
    assert switch(client, "es", next_url="/dashboard/").status_code == 302
    assert db.session.get(User, user.id).language == "es"
    r = client.get("/dashboard/", headers={"Accept-Language": "de"})
    assert page_language(r) == "es"


def test_an_unsupported_cookie_falls_back_to_the_browser_then_english(client):
    client.set_cookie("lang", "xx")
    assert page_language(client.get("/", headers={"Accept-Language": "es"})) == "es"
    assert page_language(client.get("/")) == "en"


def test_the_menu_marks_the_current_language(client):
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    menu = html.split('id="language-menu"')[1].split("</form>")[0]
    assert re.search(r'value="es"[^>]*aria-pressed="true"[^>]*>Español', menu)
    assert re.search(r'value="de"[^>]*aria-pressed="false"[^>]*>Deutsch', menu)


def test_api_profile_accepts_a_language(client, db, user_factory):
    user = user_factory()
    headers = bearer(tokens_for(client, user)["access"])
    r = client.patch("/api/user/me/", json={"language": "de"}, headers=headers)
    assert r.status_code == 200
    assert set(r.get_json()) == {"id", "username", "email", "image"}  # the shape is unchanged
    assert db.session.get(User, user.id).language == "de"
    r = client.patch("/api/user/me/", json={"language": "klingon"}, headers=headers)
    assert r.status_code == 400
    assert r.get_json()["language"] == ["Unknown language."]


# ---------------------------------------------------------------- what arrives translated


def test_form_errors_arrive_translated(client):
    r = post_form(
        client,
        "/auth/register",
        {"username": "", "email": "a@example.com", "password": "x", "password_repeat": ""},
        headers={"Accept-Language": "de"},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Wählen Sie einen Benutzernamen." in html
    assert "Wiederholen Sie das Passwort." in html


def test_service_errors_arrive_translated(client):
    r = post_form(
        client,
        "/auth/register",
        {
            "username": "alice_w",
            "email": "alice@example.com",
            "password": PASSWORD,
            "password_repeat": PASSWORD + "x",
        },
        headers={"Accept-Language": "es"},
    )
    assert r.status_code == 400
    assert "Las dos contraseñas no coinciden." in r.get_data(as_text=True)


def test_a_mail_arrives_in_the_language_of_the_request(client, outbox):
    post_form(
        client,
        "/auth/register",
        {
            "username": "juana_g",
            "email": "juana@example.com",
            "password": PASSWORD,
            "password_repeat": PASSWORD,
        },
        headers={"Accept-Language": "es"},
    )
    [mail] = outbox
    assert mail.subject == "Doorman: confirma tu correo electrónico"
    assert "Hola, juana_g:" in mail.body
    assert "Confirma tu correo electrónico para terminar de crear tu cuenta" in mail.html
    assert '<html lang="es">' in mail.html


def test_a_mail_follows_the_recipients_profile(client, db, user_factory, outbox):
    user = user_factory(email="klaus@example.com")
    with client.application.app_context():
        row = db.session.get(User, user.id)
        row.language = "de"
        db.session.commit()
    # Asked for in English, written in the recipient's German.
    post_form(
        client,
        "/auth/forgot",
        {"email": "klaus@example.com"},
        headers={"Accept-Language": "en"},
    )
    [mail] = outbox
    assert mail.subject == "Doorman: setzen Sie Ihr Passwort zurück"
    assert "Jemand hat beantragt, das Passwort Ihres Doorman-Kontos zurückzusetzen." in mail.body


def test_the_sign_in_prompt_is_translated(client):
    r = client.get("/account/", headers={"Accept-Language": "de"}, follow_redirects=True)
    assert "Bitte melden Sie sich an, um diese Seite zu sehen." in r.get_data(as_text=True)


def test_error_pages_are_translated_but_json_errors_are_not(client):
    r = client.get("/no-such-page", headers={"Accept-Language": "de"})
    assert r.status_code == 404
    assert "Seite nicht gefunden" in r.get_data(as_text=True)
    r = client.get("/api/no-such-thing", headers={"Accept-Language": "de"})
    assert "nicht" not in r.get_data(as_text=True)


def test_numbers_follow_the_locale(client, db, user_factory):
    user = user_factory()
    login(client, user.email)
    html = client.get("/dashboard/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    # One successful sign-in of one: German puts a (no-break) space before the sign.
    assert 'id="stat-rate">100,0\xa0%<' in html


# ---------------------------------------------------------------- people's words, not the API's

RAW = ("password_mismatch", "Username cannot be null", "start_date must not be after", "logout_")


def assert_no_raw_keys(html: str) -> None:
    for key in RAW:
        assert key not in html


def test_register_with_different_passwords_says_so(client):
    data = {"username": "bob_b", "email": "bob@example.com", "password": PASSWORD}
    r = post_form(client, "/auth/register", {**data, "password_repeat": PASSWORD + "!"})
    html = r.get_data(as_text=True)
    assert "The two passwords differ." in html
    assert_no_raw_keys(html)


@pytest.mark.parametrize("path", ["/auth/register", "/account/"])
def test_an_empty_username_says_choose_one(client, user_factory, path):
    if path == "/account/":
        login(client, user_factory().email)
    r = post_form(
        client,
        path,
        {"username": "", "email": "bob@example.com", "password": PASSWORD, "timezone": "UTC"},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Choose a username." in html
    assert_no_raw_keys(html)


def test_dashboard_with_the_start_after_the_end_says_so(client, user_factory):
    login(client, user_factory().email)
    r = client.get("/dashboard/?start_date=2026-03-02&end_date=2026-03-01")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "The start date is after the end date." in html
    assert_no_raw_keys(html)


def test_logging_out_says_so_in_words(client, user_factory):
    login(client, user_factory().email)
    r = post_form(client, "/auth/logout", {}, token_from="/dashboard/", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "You have been logged out." in html
    assert_no_raw_keys(html)


def test_the_api_keeps_its_keys(client, user_factory):
    r = client.post(
        "/api/user/create/",
        json={
            "username": "",
            "email": "carol@example.com",
            "password": PASSWORD,
            "passwordRepeat": PASSWORD + "x",
        },
        headers={"Accept-Language": "de"},
    )
    body = r.get_json()
    assert body["username"] == ["Username cannot be null"]
    assert body["passwordRepeat"] == ["password_mismatch"]


# ---------------------------------------------------------------- the catalogues


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=language)


def _ids(catalogue) -> set:
    return {m.id for m in catalogue if m.id}


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_is_translated(language):
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        template = _ids(read_po(fh))
    catalogue = _catalogue(language)
    assert template <= _ids(catalogue), "run make translations"
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"{language}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        # Every placeholder of the original survives in the translation.
        wanted = set(re.findall(r"%\(\w+\)[sd]", str(message.id)))
        for s in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", s)) == wanted, message.id


@pytest.mark.parametrize("language", SHIPPED)
def test_compiled_catalogues_match_their_sources(language):
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(language))
    shipped = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled.getvalue() == shipped, "run make translations"


def test_template_lists_every_marked_string():
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT),
            method_map,
            options_map,
            keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None},
        )
    }
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        template = _ids(read_po(fh))
    assert found == template, "run make translations"


def test_back_office_pages_speak_german(client, actor):
    actor("admin")
    de = {"Accept-Language": "de"}
    html = client.get("/dashboard/admin/", headers=de).get_data(as_text=True)
    assert ">Versuche<" in html and ">Jetzt online<" in html and ">Erfolgsquote<" in html
    html = client.get("/dashboard/admin/acquisition/", headers=de).get_data(as_text=True)
    assert ">Registrierungen<" in html and ">E-Mail-Adresse bestätigt<" in html
    assert "Registrierungen pro Quelle" in html  # the chart title
    r = client.get("/admin/admin_users/", headers=de)
    html = r.get_data(as_text=True)
    assert page_language(r) == "de"
    assert "Anmeldeversuche</a>" in html and "Postausgang</a>" in html  # the menu's view names
    assert ">Überall abmelden<" in html and ">Letzte Anmeldung<" in html  # an action, a column
    assert ">Benutzername<" in html and ">Rolle<" in html
    assert "Administrator" in html and "Regular user" not in html  # a role, in words
    assert "Sign out everywhere" not in html and "Mail outbox" not in html
