"""The back office as a part of the app: its navbar and log-out, lists that fit, and an audit
log that says what changed and names whom."""

import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_token, login, post_form
from tests.test_admin import act
from webapp.models import AdminAudit, LoginLockout, SecurityEvent, User, UserSession, utcnow

BACK_OFFICE_PAGES = ["/admin/", "/admin/admin_users/", "/admin/admin_attempts/"]


@pytest.mark.parametrize("path", BACK_OFFICE_PAGES)
def test_back_office_pages_carry_the_app_navbar(client, actor, path):
    actor("admin")
    html = client.get(path).get_data(as_text=True)
    nav = html.split('<nav class="navbar navbar-expand-md')[1].split("</nav>")[0]
    for href in ("/dashboard/", "/account/", "/dashboard/admin/", "/admin/"):
        assert f'href="{href}"' in nav
    assert 'id="theme-toggle"' in nav and 'data-theme-value="dark"' in nav
    logout = re.search(r'<form method="post" action="/auth/logout"[^>]*>(.*?)</form>', nav, re.S)
    assert logout and 'name="csrf_token"' in logout.group(1) and 'id="logout-button"' in nav
    assert "js/theme" in html.split("</head>")[0]  # the colour mode is set before the first paint


def test_the_log_out_form_of_the_back_office_signs_out(client, actor):
    actor("admin")
    token = csrf_token(client, "/admin/admin_users/")
    r = client.post("/auth/logout", data={"csrf_token": token})
    assert r.status_code == 302
    assert client.get("/admin/").status_code == 302  # to the login page


def test_admin_index_links_to_the_api_docs(client, actor):
    actor("staff")
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/api/docs/"' in html and 'href="/api/redoc/"' in html
    assert client.get("/api/docs/").status_code == 200


def test_app_pages_link_to_the_api_docs_for_signed_in_people(client, actor):
    assert 'href="/api/docs/"' not in client.get("/").get_data(as_text=True)
    actor("user")
    assert 'href="/api/docs/"' in client.get("/dashboard/").get_data(as_text=True)


def test_long_text_is_cut_with_the_whole_in_a_tooltip(client, actor, user_factory):
    actor("staff")
    long = "a.very.long.address.that.would.widen.the.table@subdomain.example.com"
    user_factory(email=long)
    html = client.get("/admin/admin_users/").get_data(as_text=True)
    assert f'<span class="cell-truncate" title="{long}">{long}</span>' in html
    assert "<th" in html and "Password Hash" not in html


def audit_rows(db) -> dict[str, list[AdminAudit]]:
    rows: dict[str, list[AdminAudit]] = {}
    for entry in db.session.execute(select(AdminAudit).order_by(AdminAudit.id)).scalars():
        rows.setdefault(entry.action, []).append(entry)
    return rows


def test_every_audited_action_says_what_it_changed(app, client, actor, user_factory, db):
    actor("admin")
    alice = user_factory(email="alice@example.com", verified=False)
    bob = user_factory(email="bob@example.com")
    theirs = app.test_client()
    login(theirs, "bob@example.com")
    db.session.merge(
        LoginLockout(
            email="bob@example.com", failures=0, level=1, locked_until=utcnow().replace(year=2099)
        )
    )
    db.session.add(
        SecurityEvent(kind="brute_force", email="bob@example.com", ip="192.0.2.7", user_id=bob.id)
    )
    db.session.commit()
    event = db.session.execute(select(SecurityEvent)).scalar_one()
    session = db.session.execute(
        select(UserSession).where(UserSession.user_id == bob.id)
    ).scalar_one()

    act(client, "admin_users", "verify", [alice.id, bob.id])
    act(client, "admin_users", "unlock", [bob.id])
    act(client, "admin_users", "require_mfa", [alice.id])
    act(client, "admin_sessions", "revoke", [session.id])
    act(client, "admin_events", "acknowledge", [event.id])
    act(client, "admin_events", "block_ip", [event.id])
    login(theirs, "bob@example.com")
    act(client, "admin_users", "deactivate", [bob.id])
    act(client, "admin_users", "force_reset", [alice.id])

    rows = audit_rows(db)
    verified = {r.target_id: r.details for r in rows["mark_verified"]}
    assert verified == {
        str(alice.id): "email_verified: no → yes",
        str(bob.id): "email already verified; unchanged",
    }
    assert rows["unlock"][0].details == "sign-in lock lifted"
    assert rows["require_mfa"][0].details == "mfa_required: no → yes"
    revoked = rows["revoke_session"][0].details
    assert revoked.startswith("session of bob@example.com: web,") and "127.0.0.1" in revoked
    assert rows["acknowledge"][0].details == "brute force event for bob@example.com; acknowledged"
    assert rows["block_ip"][0].details.startswith("blocked 192.0.2.7/32 for 24 hours")
    assert rows["deactivate"][0].details == "is_active: yes → no; 1 session(s) ended"
    assert rows["force_password_reset"][0].details == (
        "password cleared; 0 session(s) ended; reset link mailed"
    )
    assert all(r.details for entries in rows.values() for r in entries)


def test_the_audit_log_names_its_targets(app, client, actor, user_factory, db):
    admin = actor("admin")
    carol = user_factory(email="carol@example.com", username="carol_c")
    gone = user_factory(email="gone@example.com", username="gone_g")
    act(client, "admin_users", "sign_out", [carol.id])
    r = post_form(
        client,
        "/admin/admin_users/delete/",
        {"id": str(gone.id), "url": "/admin/admin_users/"},
        token_from="/admin/admin_users/",
    )
    assert r.status_code == 302
    assert db.session.get(User, gone.id) is None
    html = client.get("/admin/admin_audit/").get_data(as_text=True)
    name = '<span class="cell-truncate" title="carol@example.com">carol@example.com</span>'
    link = f'<a href="/admin/admin_users/details/?id={carol.id}">{name}</a>'
    assert link in html and "0 session(s) ended" in html
    assert f"User #{gone.id} (no longer exists)" in html
    assert "deleted: gone@example.com (gone_g, user)" in html
    assert admin.user.email in html  # who did it
    details = client.get(
        f"/admin/admin_audit/details/?id={_entry_id(db, 'sign_out_everywhere')}"
    ).get_data(as_text=True)
    assert link in details


def _entry_id(db, action: str) -> int:
    return db.session.execute(select(AdminAudit.id).where(AdminAudit.action == action)).scalar_one()


def test_the_attempts_list_pages_without_counting_every_attempt(app, client, actor):
    """The attempts table grows with every sign-in: its list asks for a page, never a COUNT."""
    from sqlalchemy import event

    from webapp.extensions import db as extension

    actor("admin")
    statements = []
    with app.app_context():
        engine = extension.engine

    def remember(conn, cursor, statement, *args):
        statements.append(statement.lower())

    event.listen(engine, "before_cursor_execute", remember)
    try:
        r = client.get("/admin/admin_attempts/")
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert r.status_code == 200
    reads = [s for s in statements if "from login_attempts" in s]
    assert reads and not any("count(" in s for s in reads)
