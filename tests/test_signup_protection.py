"""Sign-up protection: the optional CAPTCHA (ALTCHA, reCAPTCHA), disposable addresses, and the
hide-existing mode of the web form."""

import re

import altcha
import pytest
from flask_wtf.recaptcha.validators import Recaptcha
from sqlalchemy import func, select

from tests.helpers import PASSWORD, csrf_token
from webapp.models import SecurityEvent, User

BASE = "/api/user"
FORM = {
    "username": "alice_w",
    "email": "alice@example.com",
    "password": PASSWORD,
    "password_repeat": PASSWORD,
}
BODY = {
    "username": "alice_w",
    "email": "alice@example.com",
    "password": PASSWORD,
    "passwordRepeat": PASSWORD,
}
# Google's documented test keys: every answer passes, nothing is protected.
RECAPTCHA_TEST_KEYS = {
    "RECAPTCHA_PUBLIC_KEY": "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI",
    "RECAPTCHA_PRIVATE_KEY": "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
}
ALTCHA_KEY = {"ALTCHA_HMAC_KEY": "altcha-test-secret", "ALTCHA_COST": 10}


def register(client, **changes):
    data = {"csrf_token": csrf_token(client, "/auth/register"), **FORM, **changes}
    return client.post("/auth/register", data=data)


def users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def captcha_failures(db) -> int:
    return db.session.scalar(
        select(func.count(SecurityEvent.id)).where(SecurityEvent.kind == "captcha_failed")
    )


@pytest.fixture
def setup(app_factory):
    """An app with extra settings, its client and the db fixture's view of it."""

    def build(**settings):
        app = app_factory(**settings)
        return app, app.test_client()

    return build


def solve(client) -> str:
    """What the ALTCHA widget sends: the solved challenge from the app's endpoint."""
    challenge = altcha.Challenge.from_dict(client.get("/auth/altcha/challenge").json)
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()


# ---------------------------------------------------------------- CAPTCHA off


def test_captcha_is_off_without_keys(client, db):
    page = client.get("/auth/register").get_data(as_text=True)
    assert "altcha-widget" not in page and "g-recaptcha" not in page
    assert client.get("/auth/altcha/challenge").status_code == 404
    assert register(client).status_code == 302
    assert (
        client.post(
            f"{BASE}/create/", json={**BODY, "username": "bob_b", "email": "b@example.com"}
        ).status_code
        == 201
    )


# ---------------------------------------------------------------- ALTCHA


def test_altcha_page_serves_the_local_widget_and_a_challenge(setup):
    app, client = setup(**ALTCHA_KEY)
    response = client.get("/auth/register")
    page = response.get_data(as_text=True)
    assert '<altcha-widget challenge="/auth/altcha/challenge" name="altcha">' in page
    assert re.search(r'src="/static/vendor/altcha/altcha\.min\.[0-9a-f]+\.js"', page)  # hashed name
    assert "https://" not in response.headers["Content-Security-Policy"]  # no third party
    assert client.get("/static/vendor/altcha/altcha.min.js").status_code == 200
    challenge = client.get("/auth/altcha/challenge")
    assert challenge.headers["Cache-Control"] == "no-store"
    assert challenge.json["parameters"]["algorithm"] == "PBKDF2/SHA-256"
    assert challenge.json["signature"]


def test_altcha_web_sign_up_needs_a_solved_challenge(setup, db):
    app, client = setup(**ALTCHA_KEY)
    refused = register(client)
    assert refused.status_code == 400 and "Please complete the CAPTCHA." in refused.get_data(
        as_text=True
    )
    forged = register(client, altcha="eyJub3QiOiAiaXQifQ==")
    assert forged.status_code == 400
    assert users(db) == 0 and captcha_failures(db) == 2
    assert register(client, altcha=solve(client)).status_code == 302
    assert users(db) == 1


def test_altcha_answer_works_once(setup, db):
    app, client = setup(**ALTCHA_KEY)
    answer = solve(client)
    assert register(client, altcha=answer).status_code == 302
    again = register(client, altcha=answer, username="bob_b", email="bob@example.com")
    assert again.status_code == 400 and users(db) == 1


def test_altcha_api_create_needs_the_captcha_key(setup, db):
    app, client = setup(**ALTCHA_KEY)
    missing = client.post(f"{BASE}/create/", json=BODY)
    assert missing.status_code == 400 and missing.json == {
        "captcha": ["Please complete the CAPTCHA."]
    }
    wrong = client.post(f"{BASE}/create/", json={**BODY, "captcha": 12})
    assert wrong.status_code == 400
    assert captcha_failures(db) == 1 and users(db) == 0
    ok = client.post(f"{BASE}/create/", json={**BODY, "captcha": solve(client)})
    assert ok.status_code == 201


def test_altcha_refusals_record_ip_and_address(setup, db):
    app, client = setup(**ALTCHA_KEY)
    client.post(f"{BASE}/create/", json=BODY, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    event = db.session.execute(select(SecurityEvent)).scalar_one()
    assert (event.kind, event.ip, event.email, event.details) == (
        "captcha_failed",
        "203.0.113.9",
        "alice@example.com",
        "api",
    )


# ---------------------------------------------------------------- reCAPTCHA


def test_recaptcha_page_shows_googles_widget_and_allows_it_in_the_csp(setup):
    app, client = setup(**RECAPTCHA_TEST_KEYS)
    response = client.get("/auth/register")
    page = response.get_data(as_text=True)
    assert 'class="g-recaptcha"' in page
    assert f'data-sitekey="{RECAPTCHA_TEST_KEYS["RECAPTCHA_PUBLIC_KEY"]}"' in page
    csp = response.headers["Content-Security-Policy"]
    assert "https://www.google.com/recaptcha/" in csp and "frame-src" in csp
    # Only the sign-up page opens up to Google.
    assert "google" not in client.get("/auth/login").headers["Content-Security-Policy"]


def test_recaptcha_is_not_verified_under_testing(setup, db):
    """Flask-WTF's documented behaviour: TESTING skips the call to Google."""
    app, client = setup(**RECAPTCHA_TEST_KEYS)
    assert register(client).status_code == 302


@pytest.mark.parametrize("verdict, status", [(False, 400), (True, 302)])
def test_recaptcha_web_answer_is_verified(setup, db, monkeypatch, verdict, status):
    app, client = setup(**RECAPTCHA_TEST_KEYS)
    calls = []

    def fake(self, response, remote_addr):
        calls.append(response)
        return verdict

    monkeypatch.setattr(Recaptcha, "_validate_recaptcha", fake)
    app.testing = False  # as in production; the network call itself is the fake
    assert register(client).status_code == 400  # no answer at all
    assert register(client, **{"g-recaptcha-response": "token"}).status_code == status
    assert calls == ["token"]
    assert captcha_failures(db) == (2 if not verdict else 1)


@pytest.mark.parametrize("verdict, status", [(False, 400), (True, 201)])
def test_recaptcha_api_answer_is_verified(setup, db, monkeypatch, verdict, status):
    app, client = setup(**RECAPTCHA_TEST_KEYS)
    monkeypatch.setattr(Recaptcha, "_validate_recaptcha", lambda self, r, ip: verdict)
    app.testing = False
    response = client.post(f"{BASE}/create/", json={**BODY, "captcha": "token"})
    assert response.status_code == status


def test_recaptcha_api_answer_is_required_even_under_testing(setup, db):
    app, client = setup(**RECAPTCHA_TEST_KEYS)
    assert client.post(f"{BASE}/create/", json=BODY).status_code == 400
    assert client.post(f"{BASE}/create/", json={**BODY, "captcha": "x"}).status_code == 201


def test_google_unreachable_refuses_instead_of_failing(setup, db, monkeypatch):
    app, client = setup(**RECAPTCHA_TEST_KEYS)

    def down(self, response, remote_addr):
        raise OSError("network is unreachable")

    monkeypatch.setattr(Recaptcha, "_validate_recaptcha", down)
    app.testing = False
    assert register(client, **{"g-recaptcha-response": "token"}).status_code == 400
    assert client.post(f"{BASE}/create/", json={**BODY, "captcha": "t"}).status_code == 400


# ---------------------------------------------------------------- disposable addresses


def test_disposable_addresses_are_accepted_by_default(client, db):
    assert register(client, email="someone@mailinator.com").status_code == 302


@pytest.mark.parametrize("email", ["someone@mailinator.com", "x@sub.mailinator.com"])
def test_disposable_addresses_can_be_refused(setup, db, email):
    app, client = setup(REGISTRATION_BLOCK_DISPOSABLE=True)
    page = register(client, email=email)
    assert page.status_code == 400
    assert "disposable ones are not accepted" in page.get_data(as_text=True)
    api = client.post(f"{BASE}/create/", json={**BODY, "email": email})
    assert api.status_code == 400
    assert api.json["email"] == ["Disposable e-mail addresses are not accepted"]
    assert users(db) == 0
    assert register(client).status_code == 302  # an ordinary address still works


def test_a_domains_file_adds_to_the_list(setup, db, tmp_path):
    listed = tmp_path / "domains.txt"
    listed.write_text("# our own\nthrowaway.example\n")
    app, client = setup(REGISTRATION_BLOCK_DISPOSABLE=True, DISPOSABLE_DOMAINS_FILE=str(listed))
    assert register(client, email="a@throwaway.example").status_code == 400
    assert register(client, email="a@mailinator.com").status_code == 400
    assert register(client).status_code == 302


# ---------------------------------------------------------------- existing addresses


def test_existing_address_is_named_by_default(client, db, user_factory):
    owner = user_factory(email="alice@example.com")
    page = register(client)
    assert (
        page.status_code == 400
        and "An account with this email address already exists." in page.get_data(as_text=True)
    )
    assert owner.email == "alice@example.com"


def test_hide_existing_answers_alike_and_mails_the_owner(setup, db, outbox, app_factory):
    app, client = setup(REGISTRATION_HIDE_EXISTING=True)
    with app.app_context():
        from tests.helpers import make_user

        make_user(email="alice@example.com", username="the_owner")
    taken = register(client, username="someone_new")
    fresh = register(client, username="bob_b", email="bob@example.com")
    assert taken.status_code == fresh.status_code == 302
    assert taken.location.replace("alice", "bob") == fresh.location
    flashes = [client.get(r.location).get_data(as_text=True) for r in (taken, fresh)]
    assert "Check your mail: we sent a link and a code to" in flashes[0]
    assert users(db) == 2  # the owner and bob; nothing new for alice
    notice, verify = outbox
    assert notice.recipients == ["alice@example.com"]
    assert "already has an account" in notice.body and "/auth/forgot" in notice.body
    assert verify.recipients == ["bob@example.com"]


def test_hide_existing_still_shows_other_mistakes(setup, db, outbox):
    app, client = setup(REGISTRATION_HIDE_EXISTING=True)
    with app.app_context():
        from tests.helpers import make_user

        make_user(email="alice@example.com", username="the_owner")
    page = register(client, password_repeat="different")
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "already exists" not in text
    assert outbox == []


def test_hide_existing_does_not_change_the_api(setup, db):
    app, client = setup(REGISTRATION_HIDE_EXISTING=True)
    assert client.post(f"{BASE}/create/", json=BODY).status_code == 201
    again = client.post(f"{BASE}/create/", json={**BODY, "username": "bob_b"})
    assert again.status_code == 400 and again.json["email"] == ["E-mail in use"]
