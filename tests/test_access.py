"""Access matrix: anonymous / user / staff / admin × route -> expected status."""

import pytest

ROLES = [None, "user", "staff", "admin"]
# route -> expected status per role (anonymous, user, staff, admin); 302 is "to the login page".
MATRIX = {
    "/": (200, 200, 200, 200),
    "/dashboard/": (302, 200, 200, 200),
    "/dashboard/export.csv": (302, 200, 200, 200),
    "/dashboard/admin/": (302, 403, 200, 200),
    "/dashboard/admin/users/{uid}/": (302, 403, 200, 200),
    "/dashboard/admin/report.xlsx": (302, 403, 200, 200),
    "/account/": (302, 200, 200, 200),
    "/account/password": (302, 200, 200, 200),
    "/account/email": (302, 200, 200, 200),
    "/account/sessions": (302, 200, 200, 200),
    "/account/export.json": (302, 200, 200, 200),
    "/account/export.csv": (302, 200, 200, 200),
    "/account/delete": (302, 200, 200, 200),
    "/admin/admin_audit/": (302, 403, 403, 200),
    "/admin/admin_attempts/export/csv/": (302, 403, 200, 200),
    "/admin/": (302, 403, 200, 200),
    "/admin/admin_users/": (302, 403, 200, 200),
    "/admin/admin_attempts/": (302, 403, 200, 200),
    "/admin/admin_sessions/": (302, 403, 200, 200),
    "/admin/admin_events/": (302, 403, 200, 200),
    "/admin/admin_outbox/": (302, 403, 200, 200),
    "/admin/admin_outbox/new/": (302, 403, 302, 302),
    "/admin/admin_users/new/": (302, 403, 302, 200),
    "/account/mfa": (302, 200, 200, 200),
    "/auth/mfa": (302, 302, 302, 302),  # no second step pending: to login, or home
    "/auth/login-code": (200, 302, 302, 302),
    "/auth/login-code/verify": (200, 302, 302, 302),
    "/account/passkeys": (302, 200, 200, 200),
    "/account/reauth": (302, 200, 200, 200),
}
CASES = [(path, role, codes[i]) for path, codes in MATRIX.items() for i, role in enumerate(ROLES)]


# POST-only routes: anonymous is sent to log in; the others reach the view (CSRF then applies).
POST_MATRIX = {
    "/account/avatar": (302, 400, 400, 400),
    "/account/avatar/remove": (302, 302, 302, 302),
    "/account/sessions/revoke-others": (302, 302, 302, 302),
    "/account/view-as": (302, 403, 302, 302),
    "/auth/logout": (302, 302, 302, 302),
    "/account/mfa/setup": (302, 302, 302, 302),
    "/account/mfa/confirm": (302, 400, 400, 400),
    "/account/mfa/disable": (302, 400, 400, 400),
    "/account/mfa/recovery-codes": (302, 400, 400, 400),
    "/account/trusted-browsers/unknown/revoke": (302, 404, 404, 404),
    "/auth/mfa/email-code": (302, 302, 302, 302),
    "/auth/mfa/sms-code": (302, 302, 302, 302),
    "/account/phone/send": (302, 302, 302, 302),
    "/account/phone/confirm": (302, 400, 400, 400),
    "/account/passkeys/options": (302, 200, 200, 200),
    "/account/passkeys/add": (302, 400, 400, 400),
    "/account/passkeys/999/rename": (302, 404, 404, 404),
    "/account/passkeys/999/remove": (302, 404, 404, 404),
    "/account/reauth": (302, 400, 400, 400),
    "/account/reauth/passkey/options": (302, 200, 200, 200),
    "/account/reauth/passkey": (302, 302, 302, 302),
    "/auth/passkey/login": (302, 302, 302, 302),  # anonymous: refused, back to log in
    "/auth/mfa/passkey": (302, 302, 302, 302),  # no second step pending
}
POST_CASES = [
    (path, role, codes[i]) for path, codes in POST_MATRIX.items() for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize("path, role, expected", CASES)
def test_access(client, actor, user_factory, path, role, expected):
    if "{uid}" in path:
        path = path.format(uid=user_factory().id)  # someone to drill into
    actor(role)
    response = client.get(path)
    assert response.status_code == expected
    if expected == 302 and role is None:
        assert "/auth/login" in response.location


def test_admin_pages_keep_the_strict_csp(client, actor):
    actor("admin")
    response = client.get("/admin/admin_users/")
    csp = response.headers["Content-Security-Policy"]
    assert "'nonce-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    html = response.get_data(as_text=True)
    # Every inline script Flask-Admin renders carries this request's nonce.
    import re

    for tag in re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag


def test_staff_cannot_change_users(client, actor, user_factory):
    actor("staff")
    victim = user_factory()
    response = client.get(f"/admin/admin_users/edit/?id={victim.id}")
    assert response.status_code == 302  # Flask-Admin sends read-only viewers back to the list


@pytest.mark.parametrize("path, role, expected", POST_CASES)
def test_post_access(client, actor, path, role, expected):
    from tests.helpers import post_form

    actor(role)
    data = {"role": "staff"} if path.endswith("view-as") else {}
    response = post_form(client, path, data, token_from="/")
    assert response.status_code == expected
    if role is None:
        assert "/auth/login" in response.location


# Sign-in POSTs anyone may make: the answer does not depend on the role.
OPEN_POST_MATRIX = {
    "/auth/passkey/options": (200, 200, 200, 200),
    "/auth/mfa/passkey/options": (400, 400, 400, 400),  # no second step pending
}
OPEN_POST_CASES = [
    (path, role, codes[i])
    for path, codes in OPEN_POST_MATRIX.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize("path, role, expected", OPEN_POST_CASES)
def test_open_post_access(client, actor, path, role, expected):
    from tests.helpers import post_form

    actor(role)
    assert post_form(client, path, {}, token_from="/").status_code == expected
