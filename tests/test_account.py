"""Account pages: profile, avatar uploads, email change, sessions, data export, deletion."""

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.analytics_data import add_attempts
from tests.conftest import extract
from tests.helpers import PASSWORD, login, post_form
from webapp.models import LoginAttempt, LoginStat, User, UserSession, utcnow
from webapp.services.avatars import media_root


@pytest.fixture
def me(app, client, user_factory):
    user = user_factory(email="me@example.com", username="myself")
    login(client, "me@example.com")
    return user


def image_bytes(fmt="PNG", size=(1200, 800), exif=False):
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCameraMaker"
        kwargs["exif"] = data
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(client, data, name="me.png"):
    return post_form(
        client,
        "/account/avatar",
        {"avatar": (io.BytesIO(data), name)},
        token_from="/account/",
        content_type="multipart/form-data",
    )


def profile(client, **changes):
    data = {
        "full_name": "My Self",
        "username": "myself",
        "bio": "",
        "phone": "",
        "date_of_birth": "",
        "timezone": "Asia/Kolkata",
        **changes,
    }
    return post_form(client, "/account/", data)


def test_profile_update_and_timezone_used_by_dashboard(client, me, db):
    r = profile(client, phone="+91 98765 43210", date_of_birth="1990-04-01", bio="hi")
    assert r.status_code == 302
    user = db.session.get(User, me.id)
    assert (user.full_name, user.timezone, user.phone) == (
        "My Self",
        "Asia/Kolkata",
        "+91 98765 43210",
    )
    assert str(user.date_of_birth) == "1990-04-01"
    assert "times in Asia/Kolkata" in client.get("/dashboard/").get_data(as_text=True)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"phone": "call me maybe"}, "Use digits"),
        ({"username": "ab"}, "A username has 4 to 32 characters."),
        ({"date_of_birth": "2999-01-01"}, "between 1900 and today"),
        ({"date_of_birth": "01/02/1990"}, "Not a valid date"),
        ({"bio": "x" * 2001}, "2000"),
    ],
)
def test_profile_errors(client, me, db, changes, message):
    r = profile(client, **changes)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert db.session.get(User, me.id).full_name is None


def test_username_taken(client, me, user_factory):
    user_factory(username="taken_name")
    r = profile(client, username="Taken_Name")
    assert r.status_code == 400 and "That username is taken. Choose another one." in r.get_data(
        as_text=True
    )


def test_avatar_is_reencoded_resized_and_stripped(app, client, me, db):
    r = upload(client, image_bytes("JPEG", (2000, 1000), exif=True), "photo.jpg")
    assert r.status_code == 302
    path = db.session.get(User, me.id).avatar_path
    with app.app_context():
        stored = media_root() / path
    image = Image.open(stored)
    assert image.format == "JPEG" and max(image.size) == 512
    assert not image.getexif() and b"SecretCameraMaker" not in stored.read_bytes()
    served = client.get(f"/media/{path}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_replacing_and_removing_deletes_old_files(app, client, me, db):
    upload(client, image_bytes())
    first = db.session.get(User, me.id).avatar_path
    upload(client, image_bytes("PNG", (100, 100)))
    db.session.expire_all()
    second = db.session.get(User, me.id).avatar_path
    with app.app_context():
        root = media_root()
    assert first != second and not (root / first).exists() and (root / second).exists()
    post_form(client, "/account/avatar/remove", {}, token_from="/account/")
    db.session.expire_all()
    assert db.session.get(User, me.id).avatar_path is None and not (root / second).exists()


def truncated_png():
    data = image_bytes("PNG", (300, 300))
    return data[: len(data) // 2]


def bomb_png():
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")  # 400 Mpx, a few KB compressed
    return out.getvalue()


@pytest.mark.parametrize(
    "make, name, message",
    [
        (lambda: b"just some text, not an image", "notes.png", "Choose a JPG or PNG image."),
        (
            lambda: b"\0" * (2 * 1024 * 1024 + 1),
            "big.png",
            "The image can be at most 2097152 bytes.",
        ),
        (truncated_png, "cut.png", "Choose a JPG or PNG image."),
        (bomb_png, "bomb.png", "too large"),
        (lambda: image_bytes("GIF", (10, 10)), "anim.gif", "Choose a JPG or PNG image."),
        (lambda: image_bytes("GIF", (10, 10)), "anim.png", "Choose a JPG or PNG image."),
        (lambda: b"", "empty.png", "Choose a JPG or PNG image."),
    ],
)
def test_bad_uploads_store_nothing(app, client, me, db, make, name, message):
    r = upload(client, make(), name)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert db.session.get(User, me.id).avatar_path is None
    with app.app_context():
        folder = media_root() / "avatars"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_media_paths_cannot_escape(client, me):
    assert client.get("/media/../secret_key").status_code == 404
    assert client.get("/media/%2e%2e/secret_key").status_code == 404


def test_change_email_flow(app, client, me, db, outbox):
    r = post_form(client, "/account/email", {"email": "New@Example.com", "password": PASSWORD})
    assert r.status_code == 302
    to_new, to_old = outbox[-2], outbox[-1]
    assert to_new.recipients == ["new@example.com"] and to_old.recipients == ["me@example.com"]
    assert db.session.get(User, me.id).email == "me@example.com"  # not before confirmation
    link = extract(r"http://localhost(/account/email/confirm/\S+)", to_new.body)
    assert client.get(link).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id).email == "new@example.com"
    assert client.get(link).status_code == 400  # single use


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("new@example.com", "wrong-password", "Your current password is not right."),
        ("not-an-email", PASSWORD, "Enter a valid email address."),
        ("me@example.com", PASSWORD, "An account with this email address already exists."),
    ],
)
def test_change_email_errors(client, me, outbox, email, password, message):
    r = post_form(client, "/account/email", {"email": email, "password": password})
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert outbox == []


def test_sessions_page_revoke_one_and_others(app, client, me, db):
    other = app.test_client()
    login(other, "me@example.com")
    third = app.test_client()
    login(third, "me@example.com")
    html = client.get("/account/sessions").get_data(as_text=True)
    assert html.count("Sign out</button>") == 3 and "this device" in html
    target = (
        db.session.execute(select(UserSession).order_by(UserSession.created_at.desc()))
        .scalars()
        .first()
    )
    r = post_form(
        client, f"/account/sessions/{target.id}/revoke", {}, token_from="/account/sessions"
    )
    assert r.status_code == 302 and third.get("/account/").status_code == 302
    post_form(client, "/account/sessions/revoke-others", {}, token_from="/account/sessions")
    assert other.get("/account/").status_code == 302
    assert client.get("/account/").status_code == 200


def test_cannot_revoke_someone_elses_session(app, client, me, db, user_factory):
    user_factory(email="them@example.com")
    them = app.test_client()
    login(them, "them@example.com")
    theirs = db.session.execute(
        select(UserSession).where(UserSession.user_id != me.id)
    ).scalar_one()
    r = post_form(client, f"/account/sessions/{theirs.id}/revoke", {}, token_from="/account/")
    assert r.status_code == 404 and them.get("/account/").status_code == 200


def test_download_my_data(client, me, app):
    with app.app_context():
        add_attempts([(me.id, utcnow() - timedelta(days=2), False)])
    data = client.get("/account/export.json")
    assert data.status_code == 200 and "attachment" in data.headers["Content-Disposition"]
    body = json.loads(data.data)
    assert body["profile"]["email"] == "me@example.com"
    assert len(body["login_attempts"]) == 2  # the seeded failure and this login
    csv_text = client.get("/account/export.csv").get_data(as_text=True)
    assert "profile,email,me@example.com" in csv_text and "bad_credentials" in csv_text
    assert client.get("/account/export.xml").status_code == 404


def test_delete_account(app, client, me, db):
    upload(client, image_bytes())
    with app.app_context():
        add_attempts([(me.id, utcnow() - timedelta(days=1), False)])
        avatar = media_root() / db.session.get(User, me.id).avatar_path
    everyone = db.session.scalar(
        select(func.sum(LoginStat.successes + LoginStat.failures)).where(LoginStat.user_key == -1)
    )
    r = post_form(client, "/account/delete", {"password": "wrong-one-here", "confirm": "y"})
    assert r.status_code == 400 and db.session.get(User, me.id) is not None
    r = post_form(client, "/account/delete", {"password": PASSWORD})
    assert r.status_code == 400  # the box was not ticked
    r = post_form(client, "/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id) is None and not avatar.exists()
    rows = db.session.execute(select(LoginAttempt)).scalars().all()
    assert len(rows) == 2 and all(a.user_id is None and a.email_tried == "" for a in rows)
    assert (
        db.session.scalar(
            select(func.count()).select_from(LoginStat).where(LoginStat.user_key == me.id)
        )
        == 0
    )
    total_zero = db.session.scalar(
        select(func.sum(LoginStat.successes + LoginStat.failures)).where(LoginStat.user_key == 0)
    )
    assert total_zero == 2
    assert (
        db.session.scalar(
            select(func.sum(LoginStat.successes + LoginStat.failures)).where(
                LoginStat.user_key == -1
            )
        )
        == everyone
    )
    assert client.get("/account/").status_code == 302
