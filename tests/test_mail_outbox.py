"""The mail outbox: requests queue rows, senders deliver them; the admin view and retry."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import extract
from tests.helpers import PASSWORD, post_form
from webapp.models import AdminAudit, OutboxMail, utcnow
from webapp.services.mail import mail_dir
from webapp.services.mail_sender import EXTENSION
from webapp.services.outbox import deliver_pending

SIGNUP = {
    "username": "nina_w",
    "email": "nina@example.com",
    "password": PASSWORD,
    "password_repeat": PASSWORD,
}


def rows(db) -> list[OutboxMail]:
    """The outbox as it is now (fresh from the database)."""
    query = select(OutboxMail).order_by(OutboxMail.id).execution_options(populate_existing=True)
    return list(db.session.execute(query).scalars())


def saved_mail(app) -> list:
    folder = mail_dir(app)
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_a_request_queues_its_mail_and_the_worker_command_sends_it(app, client, db, runner):
    assert post_form(client, "/auth/register", SIGNUP).status_code == 302
    [row] = rows(db)
    assert (row.recipient, row.status, row.attempts) == ("nina@example.com", "pending", 0)
    assert row.subject == "Doorman: confirm your email address"
    assert "/auth/verify/" in row.body_text and "/auth/verify/" in row.body_html
    assert saved_mail(app) == []  # the request itself sent nothing

    result = runner.invoke(args=["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Claimed 1, sent 1, failed 0." in result.output
    [eml] = saved_mail(app)
    assert "To: nina@example.com" in eml.read_text()
    [row] = rows(db)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    # Delivered bodies are dropped: they hold live links the database keeps only hashed.
    assert row.body_text == row.body_html == ""
    assert row.message_id in eml.read_text()


def test_the_background_sender_starts_on_the_first_request_and_delivers_at_once(app_factory):
    app = app_factory(MAIL_SENDER_THREAD=True, MAIL_SENDER_INTERVAL_SECONDS=30)
    assert EXTENSION not in app.extensions  # building the app (or a CLI command) starts nothing
    client = app.test_client()
    try:
        started = time.monotonic()
        assert post_form(client, "/auth/register", SIGNUP).status_code == 302
        sender = app.extensions[EXTENSION]
        assert sender.thread.is_alive() and sender.thread.daemon
        while not saved_mail(app) and time.monotonic() - started < 10:
            time.sleep(0.05)
        # Woken by the commit, not by its 30 s interval.
        assert len(saved_mail(app)) == 1
        assert time.monotonic() - started < 10
    finally:
        app.extensions[EXTENSION].stop()
    assert not sender.thread.is_alive()


def test_the_sender_thread_is_off_when_disabled(app, client):
    client.get("/")
    assert EXTENSION not in app.extensions


@pytest.fixture
def dead_mail(client, db, user_factory):
    """A reset mail that failed for good."""
    user_factory(email="omar@example.com")
    client.post("/api/user/password-reset/", json={"email": "omar@example.com"})
    db.session.execute(update(OutboxMail).values(status="dead", attempts=14, last_error="boom"))
    db.session.commit()
    return rows(db)[0]


@pytest.mark.parametrize("role, retried", [("staff", False), ("admin", True)])
def test_retry_now_is_for_admins(client, db, actor, dead_mail, role, retried):
    actor(role)
    listing = client.get("/admin/admin_outbox/?flt0_0=dead")
    assert listing.status_code == 200
    assert "omar@example.com" in listing.get_data(as_text=True)
    post_form(
        client,
        "/admin/admin_outbox/action/",
        {"action": "retry", "rowid": [str(dead_mail.id)]},
        token_from="/account/",
    )
    [row] = rows(db)
    assert row.status == ("pending" if retried else "dead")
    audits = db.session.execute(select(AdminAudit.action)).scalars().all()
    assert audits == (["retry_mail"] if retried else [])


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_the_outbox_shows_state_but_never_bodies_and_cannot_be_edited(
    client, db, actor, dead_mail, role
):
    actor(role)
    token_link = extract(r"(/auth/reset/\S+)", dead_mail.body_text)
    page = client.get(f"/admin/admin_outbox/details/?id={dead_mail.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "boom" in html and "dead" in html
    assert token_link not in html
    edit = client.get(f"/admin/admin_outbox/edit/?id={dead_mail.id}")
    assert edit.status_code == 302  # Flask-Admin sends viewers of a read-only view back
    post_form(
        client,
        f"/admin/admin_outbox/edit/?id={dead_mail.id}",
        {"body_text": "changed", "recipient": "evil@example.com"},
        token_from="/account/",
    )
    [row] = rows(db)
    assert row.body_text == dead_mail.body_text and row.recipient == "omar@example.com"


def test_purge_removes_old_sent_mail_and_keeps_dead_and_waiting_mail(client, db, runner, outbox):
    assert post_form(client, "/auth/register", SIGNUP).status_code == 302  # delivered
    client.post("/api/user/password-reset/", json={"email": "nina@example.com"})  # delivered
    old = utcnow() - timedelta(days=31)
    first, second = rows(db)
    db.session.execute(update(OutboxMail).where(OutboxMail.id == first.id).values(sent_at=old))
    db.session.add(
        OutboxMail(
            recipient="x@example.com", subject="s", body_text="b", message_id="<m@x>", status="dead"
        )
    )
    db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "1 sent mails" in result.output
    assert [(r.id, r.status) for r in rows(db)] == [(second.id, "sent"), (second.id + 1, "dead")]


def test_a_crashed_senders_claim_is_taken_over_only_after_its_lease(app, client, db, outbox):
    assert post_form(client, "/auth/register", SIGNUP).status_code == 302
    assert len(outbox) == 1
    # Another sender claimed the row and died before recording anything.
    lease = {"status": "sending", "claimed_by": "gone:1:x", "sent_at": None}
    db.session.execute(
        update(OutboxMail).values(claimed_until=utcnow() + timedelta(minutes=5), **lease)
    )
    db.session.commit()
    assert deliver_pending(app).claimed == 0  # its lease still holds
    db.session.execute(update(OutboxMail).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert deliver_pending(app).sent == 1
    [row] = rows(db)
    assert row.status == "sent" and row.claimed_by != "gone:1:x"
    assert len(outbox) == 2  # at least once: the dead sender may or may not have sent it
