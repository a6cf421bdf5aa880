"""Flask-Admin: filters, audited bulk actions, staff read-only, created users get mail."""

import json
import re

import pytest
from sqlalchemy import select

from tests.helpers import login, post_form
from webapp.models import AdminAudit, LoginLockout, SecurityEvent, User, UserSession, utcnow


def act(client, view, name, ids):
    """Run a Flask-Admin bulk action."""
    return post_form(
        client,
        f"/admin/{view}/action/",
        {"action": name, "rowid": [str(i) for i in ids]},
        token_from="/account/",  # any page: the CSRF token is per session
    )


@pytest.fixture
def people(user_factory):
    return [user_factory(verified=False) for _ in range(3)]


def audit_actions(db):
    return [(a.action, a.target_id) for a in db.session.execute(select(AdminAudit)).scalars()]


def test_search_and_filters(client, actor, user_factory, db):
    actor("staff")
    user_factory(email="findme@example.com", username="needle")
    user_factory(email="other@example.com", verified=False)
    html = client.get("/admin/admin_users/?search=needle").get_data(as_text=True)
    assert "findme@example.com" in html and "other@example.com" not in html
    db.session.add(
        LoginLockout(
            email="other@example.com", failures=0, level=1, locked_until=utcnow().replace(year=2099)
        )
    )
    db.session.commit()
    html = client.get("/admin/admin_users/").get_data(as_text=True)
    # Find the filter indexes Flask-Admin assigned, then apply them.
    verified = _filter_url(html, "Verified")
    locked = _filter_url(html, "Locked")
    not_verified = client.get(f"/admin/admin_users/?{verified}=0").get_data(as_text=True)
    assert "other@example.com" in not_verified and "findme@example.com" not in not_verified
    locked_html = client.get(f"/admin/admin_users/?{locked}=1").get_data(as_text=True)
    assert "other@example.com" in locked_html and "findme@example.com" not in locked_html


def _filter_url(html: str, name: str) -> str:
    """The query-string key of a named filter (flt<n>_<index>)."""
    match = re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', html, re.S)
    assert match, "filter data missing"
    groups = json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    index = groups[name][0]["index"]
    return f"flt0_{index}"


@pytest.mark.parametrize(
    "name, check, audit_name",
    [
        ("verify", lambda u, db: u.email_verified_at is not None, "mark_verified"),
        ("deactivate", lambda u, db: not u.is_active, "deactivate"),
        ("sign_out", lambda u, db: True, "sign_out_everywhere"),
        ("force_reset", lambda u, db: u.password_hash is None, "force_password_reset"),
    ],
)
def test_bulk_actions_are_applied_and_audited(
    client, actor, people, db, outbox, name, check, audit_name
):
    admin = actor("admin")
    ids = [p.id for p in people[:2]]
    r = act(client, "admin_users", name, ids)
    assert r.status_code == 302
    db.session.expire_all()
    for uid in ids:
        assert check(db.session.get(User, uid), db)
    assert check(db.session.get(User, people[2].id), db) is (name == "sign_out")
    rows = db.session.execute(select(AdminAudit)).scalars().all()
    assert sorted((a.action, a.target_id) for a in rows) == sorted(
        (audit_name, str(i)) for i in ids
    )
    assert all(a.actor_id == admin.user.id for a in rows)
    if name == "force_reset":
        assert {m.recipients[0] for m in outbox} == {p.email for p in people[:2]}


def test_deactivate_and_sign_out_end_sessions(app, client, actor, user_factory, db):
    actor("admin")
    victim = user_factory(email="victim@example.com")
    theirs = app.test_client()
    login(theirs, "victim@example.com")
    act(client, "admin_users", "sign_out", [victim.id])
    assert theirs.get("/account/").status_code == 302


def test_unlock_action(client, actor, user_factory, db):
    actor("admin")
    user = user_factory(email="locked@example.com")
    db.session.add(
        LoginLockout(
            email="locked@example.com",
            failures=0,
            level=1,
            locked_until=utcnow().replace(year=2099),
        )
    )
    db.session.commit()
    act(client, "admin_users", "unlock", [user.id])
    db.session.expire_all()
    assert db.session.get(LoginLockout, "locked@example.com").locked_until is None


def test_staff_cannot_run_actions_or_edit(client, actor, people, db):
    actor("staff")
    r = act(client, "admin_users", "deactivate", [people[0].id])
    assert r.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(User, people[0].id).is_active
    assert audit_actions(db) == []
    r = post_form(
        client,
        f"/admin/admin_users/edit/?id={people[0].id}",
        {"email": "x@example.com", "username": people[0].username, "role": "admin"},
        token_from="/admin/admin_users/",
    )
    db.session.expire_all()
    assert db.session.get(User, people[0].id).role == "user"


def test_admin_creates_a_user_who_gets_mail(client, actor, db, outbox):
    actor("admin")
    r = post_form(
        client,
        "/admin/admin_users/new/",
        {
            "email": "Fresh@Example.com",
            "username": "freshone",
            "role": "user",
            "is_active": "y",
            "timezone": "UTC",
            "full_name": "",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    user = db.session.execute(select(User).where(User.username == "freshone")).scalar_one()
    assert user.email == "fresh@example.com" and user.registration_source == "admin"
    subjects = {m.subject for m in outbox}
    assert "Doorman: confirm your email address" in subjects
    assert "Doorman: reset your password" in subjects
    assert ("create", str(user.id)) in audit_actions(db)


def test_admin_edit_is_audited_and_deactivation_ends_sessions(app, client, actor, user_factory, db):
    actor("admin")
    user = user_factory(email="edited@example.com", username="edited")
    theirs = app.test_client()
    login(theirs, "edited@example.com")
    r = post_form(
        client,
        f"/admin/admin_users/edit/?id={user.id}",
        {
            "email": "edited@example.com",
            "username": "edited",
            "role": "staff",
            "timezone": "UTC",
            "full_name": "",
        },  # is_active unticked
        token_from=f"/admin/admin_users/edit/?id={user.id}",
    )
    assert r.status_code == 302
    db.session.expire_all()
    row = db.session.get(User, user.id)
    assert row.role == "staff" and not row.is_active
    assert theirs.get("/account/").status_code == 302
    [entry] = db.session.execute(select(AdminAudit)).scalars().all()
    assert entry.action == "edit"
    # What changed, old to new, and what the deactivation ended.
    assert "role: user → staff" in entry.details and "is_active: yes → no" in entry.details
    assert "1 session(s) ended" in entry.details


def test_sessions_revoke_and_events_acknowledge(app, client, actor, user_factory, db):
    actor("admin")
    user_factory(email="s@example.com")
    theirs = app.test_client()
    login(theirs, "s@example.com")
    session = db.session.execute(
        select(UserSession).join(User).where(User.email == "s@example.com")
    ).scalar_one()
    act(client, "admin_sessions", "revoke", [session.id])
    assert theirs.get("/account/").status_code == 302
    db.session.add(SecurityEvent(kind="lockout", email="s@example.com"))
    db.session.commit()
    event = db.session.execute(select(SecurityEvent)).scalar_one()
    act(client, "admin_events", "acknowledge", [event.id])
    db.session.expire_all()
    assert db.session.get(SecurityEvent, event.id).acknowledged_at is not None
    actions = {a for a, _ in audit_actions(db)}
    assert {"revoke_session", "acknowledge"} <= actions


def test_audit_log_is_for_admins_only(client, actor, app):
    actor("staff")
    assert client.get("/admin/admin_audit/").status_code == 403
    other = app.test_client()
    from tests.helpers import Actor, make_user

    with app.app_context():
        admin = make_user(role="admin")
    Actor.sign_in(other, "admin", admin)
    assert other.get("/admin/admin_audit/").status_code == 200


def test_attempts_export_csv(client, actor):
    actor("staff")
    r = client.get("/admin/admin_attempts/export/csv/")
    assert r.status_code == 200 and "email_tried" in r.get_data(as_text=True).lower().replace(
        " ", "_"
    )
