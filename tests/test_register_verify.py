"""Registration, email verification by link and code, resend and welcome mail."""

from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from tests.conftest import extract
from tests.helpers import PASSWORD, login, post_form
from webapp.models import OneTimeToken, User, utcnow
from webapp.services.wording import human

GOOD = {
    "username": "alice_w",
    "email": "Alice@Example.com",
    "password": PASSWORD,
    "password_repeat": PASSWORD,
}


def register(client, **changes):
    return post_form(client, "/auth/register", {**GOOD, **changes})


def test_register_sends_html_and_text_mail_with_link_and_code(client, db, outbox):
    response = register(client)
    assert response.status_code == 302
    assert "/auth/verify?email=alice@example.com" in response.location
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "alice@example.com" and not user.is_verified
    assert user.password_hash.startswith("$argon2id$")
    [mail] = outbox
    assert mail.recipients == ["alice@example.com"]
    assert mail.html and mail.body
    assert "/auth/verify/" in mail.body and "/auth/verify/" in mail.html
    code = extract(r"code \(valid for 30 minutes\): (\d{6})", mail.body)
    assert code in mail.html


def test_console_backend_saves_eml_files(app, client, deliver_mail):
    register(client)
    from webapp.services.mail import mail_dir

    files = list(mail_dir(app).glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "To: alice@example.com" in text and "multipart/alternative" in text


def test_verify_by_link_then_welcome_then_login(client, db, outbox):
    register(client)
    link = extract(r"(http://localhost/auth/verify/\S+)", outbox[0].body)
    response = client.get(link)
    assert response.status_code == 302 and response.location.endswith("/auth/login")
    assert db.session.execute(select(User)).scalar_one().is_verified
    assert outbox[-1].subject == "Doorman: welcome"
    # Reusing the link is harmless and says so.
    again = client.get(link, follow_redirects=True)
    assert "already verified" in again.get_data(as_text=True)
    assert login(client, "alice@example.com").status_code == 302


def test_verify_by_code(client, db, outbox):
    register(client)
    code = extract(r"\): (\d{6})", outbox[0].body)
    response = post_form(client, "/auth/verify", {"email": "alice@example.com", "code": code})
    assert response.status_code == 302
    assert db.session.execute(select(User)).scalar_one().is_verified


def test_wrong_codes_lock_the_code_for_ten_minutes(client, db, outbox):
    register(client)
    code = extract(r"\): (\d{6})", outbox[0].body)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = post_form(client, "/auth/verify", {"email": "alice@example.com", "code": wrong})
        assert r.status_code == 400
    # Even the right code is refused while the lock lasts.
    r = post_form(client, "/auth/verify", {"email": "alice@example.com", "code": code})
    assert r.status_code == 429
    assert 590 <= int(r.headers["Retry-After"]) <= 600
    assert not db.session.execute(select(User)).scalar_one().is_verified
    # After ten minutes the right code works.
    token = db.session.execute(
        select(OneTimeToken).where(OneTimeToken.purpose == "verify_code")
    ).scalar_one()
    token.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = post_form(client, "/auth/verify", {"email": "alice@example.com", "code": code})
    assert r.status_code == 302


def test_expired_link_and_code(client, db, outbox):
    register(client)
    link = extract(r"(http://localhost/auth/verify/\S+)", outbox[0].body)
    code = extract(r"\): (\d{6})", outbox[0].body)
    for token in db.session.execute(select(OneTimeToken)).scalars():
        token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    r = client.get(link)
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    r = post_form(client, "/auth/verify", {"email": "alice@example.com", "code": code})
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)


def test_link_and_code_lifetimes(client, db):
    register(client)
    tokens = {t.purpose: t for t in db.session.execute(select(OneTimeToken)).scalars()}
    link_life = tokens["verify_link"].expires_at - tokens["verify_link"].created_at
    code_life = tokens["verify_code"].expires_at - tokens["verify_code"].created_at
    assert link_life == timedelta(hours=24) and code_life == timedelta(minutes=30)


def test_resend_retires_the_old_link_and_code(client, outbox):
    register(client)
    old_link = extract(r"(http://localhost/auth/verify/\S+)", outbox[0].body)
    old_code = extract(r"\): (\d{6})", outbox[0].body)
    r = post_form(
        client,
        "/auth/resend-verification",
        {"email": "alice@example.com"},
        token_from="/auth/verify",
    )
    assert r.status_code == 302 and len(outbox) == 2
    assert client.get(old_link).status_code == 400
    new_code = extract(r"\): (\d{6})", outbox[1].body)
    if old_code != new_code:
        r = post_form(client, "/auth/verify", {"email": "alice@example.com", "code": old_code})
        assert r.status_code == 400
    r = post_form(client, "/auth/verify", {"email": "alice@example.com", "code": new_code})
    assert r.status_code == 302


def test_resend_says_the_same_for_unknown_emails(client, outbox):
    r = post_form(
        client,
        "/auth/resend-verification",
        {"email": "nobody@example.com"},
        token_from="/auth/verify",
        follow_redirects=True,
    )
    assert "If that account is waiting for verification" in r.get_data(as_text=True)
    assert outbox == []


def test_unverified_login_is_refused_with_resend_button(client, outbox):
    register(client)
    r = login(client, "alice@example.com")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="unverified"' in html
    assert "Resend the verification email" in html
    # Wrong password on an unverified account gives the generic error instead.
    r = login(client, "alice@example.com", "wrong-password-here")
    assert "Invalid email or password." in r.get_data(as_text=True)
    assert 'id="unverified"' not in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"username": "abc"}, "username", "Must have min 4 and max 32 characters"),
        ({"username": "x" * 33}, "username", "Must have min 4 and max 32 characters"),
        ({"email": "not-an-email"}, "email", "E-mail is not valid"),
        ({"email": "a" * 10_000 + "@example.com"}, "email", "E-mail is not valid"),
        (
            {"password": "short1", "password_repeat": "short1"},
            "password",
            "Password must have at least 8 characters",
        ),
        (
            {"password": "p" * 10_000, "password_repeat": "p" * 10_000},
            "password",
            "Password must have at most 128 characters",
        ),
        (
            {"password": "password123", "password_repeat": "password123"},
            "password",
            "Password is too common",
        ),
        (
            {"password": "8273619054", "password_repeat": "8273619054"},
            "password",
            "Password cannot be entirely numeric",
        ),
        (
            {"password": "alice_w_2024", "password_repeat": "alice_w_2024"},
            "password",
            "Password is too similar to the username or email",
        ),
        ({"password_repeat": "something-else-entirely"}, "password_repeat", "password_mismatch"),
        ({"username": ""}, "username", "Username cannot be null"),
    ],
)
def test_registration_errors(app, client, db, changes, field, message):
    r = register(client, **changes)
    assert r.status_code == 400
    with app.test_request_context():
        sentence = str(escape(human(message)))
    # The page says it in people's words, never in the API's.
    assert sentence in r.get_data(as_text=True)
    assert sentence != message
    assert db.session.execute(select(User)).first() is None


def test_duplicate_email_and_username(client, user_factory, db):
    user_factory(email="alice@example.com", username="someone")
    user_factory(email="other@example.com", username="Alice_W")
    r = register(client)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "An account with this email address already exists." in html
    assert "That username is taken. Choose another one." in html
    assert len(db.session.execute(select(User)).all()) == 2


def test_register_without_csrf_is_refused(client, db):
    r = client.post("/auth/register", data=GOOD)
    assert r.status_code == 400
    assert "did not come from this site" in r.get_data(as_text=True)
    assert db.session.execute(select(User)).first() is None


@pytest.mark.parametrize("token", ["nonsense", "x" * 500, "%00", "' OR 1=1 --"])
def test_forged_verification_links(client, token):
    assert client.get(f"/auth/verify/{token}").status_code == 400
