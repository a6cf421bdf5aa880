"""Forgotten password, reset link, change password: policy, single use, sessions end."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import extract
from tests.helpers import PASSWORD, login, post_form
from webapp.models import OneTimeToken, UserSession, utcnow

NEW = "a-brand-new-secret-42"


def ask_reset(client, email):
    return post_form(client, "/auth/forgot", {"email": email})


def reset_link(outbox):
    return extract(r"http://localhost(/auth/reset/\S+)", outbox[-1].body)


def test_forgot_password_answers_the_same_for_every_email(client, user_factory, outbox):
    user_factory(email="olga@example.com")
    known = ask_reset(client, "olga@example.com")
    unknown = ask_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    assert len(outbox) == 1 and outbox[0].recipients == ["olga@example.com"]


def test_reset_flow_ends_every_session_and_sends_a_notice(app, user_factory, db, outbox):
    user_factory(email="pia@example.com")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "pia@example.com")
    login(phone, "pia@example.com")
    ask_reset(laptop, "pia@example.com")
    path = reset_link(outbox)
    assert laptop.get(path).status_code == 200
    r = post_form(laptop, path, {"password": NEW, "password_repeat": NEW})
    assert r.status_code == 302 and r.location.endswith("/auth/login")
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 302
    sessions = db.session.execute(select(UserSession)).scalars().all()
    assert all(s.revoked_reason == "password_reset" for s in sessions)
    assert "password was changed" in outbox[-1].subject
    fresh = app.test_client()
    assert login(fresh, "pia@example.com", PASSWORD).status_code == 200
    assert login(fresh, "pia@example.com", NEW).status_code == 302


def test_reset_link_is_single_use(client, user_factory, outbox):
    user_factory(email="quin@example.com")
    ask_reset(client, "quin@example.com")
    path = reset_link(outbox)
    assert post_form(client, path, {"password": NEW, "password_repeat": NEW}).status_code == 302
    assert client.get(path).status_code == 400
    r = post_form(
        client,
        path,
        {"password": NEW + "x", "password_repeat": NEW + "x"},
        token_from="/auth/login",
    )
    assert r.status_code == 400


def test_reset_link_expires_after_an_hour(client, user_factory, db, outbox):
    user_factory(email="rita@example.com")
    ask_reset(client, "rita@example.com")
    token = db.session.execute(select(OneTimeToken)).scalar_one()
    assert token.expires_at - token.created_at == timedelta(hours=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(reset_link(outbox)).status_code == 400


def test_only_the_newest_reset_link_works(client, user_factory, outbox):
    user_factory(email="sam@example.com")
    ask_reset(client, "sam@example.com")
    first = reset_link(outbox)
    ask_reset(client, "sam@example.com")
    assert client.get(first).status_code == 400
    assert client.get(reset_link(outbox)).status_code == 200


@pytest.mark.parametrize(
    "password, repeat, message",
    [
        ("short", "short", "at least 8 characters"),
        ("password1", "password1", "too common"),
        (NEW, NEW + "!", "The two passwords differ."),
        ("p" * 129, "p" * 129, "at most 128 characters"),
    ],
)
def test_reset_applies_the_policy(client, user_factory, outbox, password, repeat, message):
    user_factory(email="tess@example.com")
    ask_reset(client, "tess@example.com")
    path = reset_link(outbox)
    r = post_form(client, path, {"password": password, "password_repeat": repeat})
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert client.get(path).status_code == 200  # the link still works after a refusal


@pytest.mark.parametrize("token", ["forged", "A" * 43, "x" * 300])
def test_forged_reset_tokens(client, token):
    assert client.get(f"/auth/reset/{token}").status_code == 400


def test_change_password_keeps_this_session_and_ends_the_others(app, user_factory, db, outbox):
    user_factory(email="uma@example.com")
    here, there = app.test_client(), app.test_client()
    login(here, "uma@example.com")
    login(there, "uma@example.com")
    r = post_form(
        here,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW, "password_repeat": NEW},
    )
    assert r.status_code == 302
    assert here.get("/account/").status_code == 200
    assert there.get("/account/").status_code == 302
    assert "password was changed" in outbox[-1].subject


def test_change_password_needs_the_current_one(client, user_factory):
    user_factory(email="vic@example.com")
    login(client, "vic@example.com")
    r = post_form(
        client,
        "/account/password",
        {"current_password": "not-it-at-all", "password": NEW, "password_repeat": NEW},
    )
    assert r.status_code == 400 and "Your current password is not right." in r.get_data(
        as_text=True
    )
    client2 = client.application.test_client()
    assert login(client2, "vic@example.com", PASSWORD).status_code == 302
