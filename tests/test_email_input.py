"""Email addresses as input: the ones mail cannot reach, and parallel registrations of one."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.api_helpers import BASE, api_login
from tests.helpers import PASSWORD, login, post_form
from webapp.models import User
from webapp.services import auth
from webapp.services.wording import human

# Non-ASCII before the @ needs SMTPUTF8, which the mail path cannot send: refused everywhere.
NEEDS_SMTPUTF8 = ["josé@example.org", "😀smile@example.org"]
INVALID = {"email": ["E-mail is not valid"]}


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


def _user_count(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


@pytest.mark.parametrize("email", NEEDS_SMTPUTF8)
def test_web_registration_refuses_it(client, db, outbox, email):
    data = {"username": "unicode1", "email": email, "password": PASSWORD}
    r = post_form(client, "/auth/register", {**data, "password_repeat": PASSWORD})
    assert r.status_code == 400
    assert "Enter a valid email address." in r.get_data(as_text=True)
    assert _user_count(db) == 0 and outbox == []


@pytest.mark.parametrize("email", NEEDS_SMTPUTF8)
def test_api_registration_refuses_it(client, db, outbox, email):
    body = {"username": "unicode1", "email": email, "password": PASSWORD}
    r = client.post(f"{BASE}/create/", json={**body, "passwordRepeat": PASSWORD})
    assert (r.status_code, r.json) == (400, INVALID)
    assert _user_count(db) == 0 and outbox == []


@pytest.mark.parametrize("email", NEEDS_SMTPUTF8)
def test_email_change_refuses_it(client, user_factory, outbox, email):
    user = user_factory()
    login(client, user.email)
    r = post_form(client, "/account/email", {"email": email, "password": PASSWORD})
    assert r.status_code == 400
    assert "Enter a valid email address." in r.get_data(as_text=True)
    assert outbox == []


@pytest.mark.parametrize("email", NEEDS_SMTPUTF8)
@pytest.mark.parametrize(
    "path, status", [("/auth/forgot", 400), ("/auth/resend-verification", 302)]
)
def test_web_email_forms_refuse_it(client, outbox, email, path, status):
    r = post_form(client, path, {"email": email}, token_from="/auth/forgot")
    assert r.status_code == status
    assert outbox == []
    page = client.get(r.location).get_data(as_text=True) if r.status_code == 302 else r.text
    assert "Enter a valid email address." in page


@pytest.mark.parametrize("email", NEEDS_SMTPUTF8)
@pytest.mark.parametrize("path", ["/password-reset/", "/resend-verification/"])
def test_api_email_requests_refuse_it(client, outbox, email, path):
    r = client.post(f"{BASE}{path}", json={"email": email})
    assert (r.status_code, r.json) == (400, {"email": ["email_invalid"]})
    assert outbox == []


@pytest.mark.parametrize("email", NEEDS_SMTPUTF8)
def test_login_with_it_simply_fails(client, email):
    web = login(client, email)
    assert web.status_code == 400 and "Enter a valid email address." in web.text
    api = api_login(client, email)
    assert (api.status_code, api.json) == (400, {"email": ["email_invalid"]})


@pytest.mark.parametrize("email", NEEDS_SMTPUTF8)
def test_admin_cannot_create_a_user_with_it(client, actor, db, outbox, email):
    actor("admin")
    before = _user_count(db)
    r = post_form(
        client,
        "/admin/admin_users/new/",
        {"email": email, "username": "unicode1", "role": "user", "timezone": "UTC"},
    )
    assert r.status_code == 200 and "Enter a valid email address." in r.text
    assert _user_count(db) == before and outbox == []


def test_an_internationalised_domain_is_accepted_and_mailed_as_punycode(client, db, outbox):
    data = {"username": "bucherfan", "email": "leser@bücher.example", "password": PASSWORD}
    r = client.post(f"{BASE}/create/", json={**data, "passwordRepeat": PASSWORD})
    assert r.status_code == 201, r.json
    [mail] = outbox
    assert b"To: leser@xn--bcher-kva.example" in mail.as_bytes()


# ------------------------------------------------------------- parallel registrations


def _race(app, monkeypatch, post, n: int = 10) -> list:
    """n registrations at once, all past the uniqueness check before any of them inserts."""
    barrier = threading.Barrier(n, timeout=10)
    checked = auth.password_errors  # the last check of registration_errors

    def then_wait(*args, **kwargs):
        result = checked(*args, **kwargs)
        barrier.wait()
        return result

    monkeypatch.setattr(auth, "password_errors", then_wait)
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda i: post(app.test_client(), i), range(n)))


CASES = {
    "same email": (lambda i: (f"racer{i:03d}", "race@example.com"), {"email": ["E-mail in use"]}),
    "same username": (
        lambda i: ("racer000", f"race{i}@example.com"),
        {"username": ["Username already exists"]},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_parallel_api_registrations_one_wins_the_others_get_the_field_error(
    app, db, monkeypatch, case
):
    who, error = CASES[case]

    def post(client, i):
        username, email = who(i)
        body = {"username": username, "email": email, "password": PASSWORD}
        return client.post(f"{BASE}/create/", json={**body, "passwordRepeat": PASSWORD})

    answers = _race(app, monkeypatch, post)
    assert sorted(r.status_code for r in answers) == [201] + [400] * 9
    assert all(r.json == error for r in answers if r.status_code == 400)
    assert _user_count(db) == 1


@pytest.mark.parametrize("case", CASES)
def test_parallel_web_registrations_one_wins_the_others_get_the_field_error(
    app_factory, monkeypatch, case
):
    app = app_factory(RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=False)
    who, error = CASES[case]
    [(field, [message])] = error.items()

    def post(client, i):
        username, email = who(i)
        data = {"username": username, "email": email, "password": PASSWORD}
        return client.post("/auth/register", data={**data, "password_repeat": PASSWORD})

    answers = _race(app, monkeypatch, post)
    assert sorted(r.status_code for r in answers) == [302] + [400] * 9
    with app.test_request_context():
        sentence = human(message)  # the page's words for the API's message
    assert all(sentence in r.text for r in answers if r.status_code == 400)
