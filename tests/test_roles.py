"""Roles in one place, and 'view as' that only ever narrows."""

import pytest

from tests.helpers import post_form
from webapp.services import roles


class Person:
    is_authenticated = True

    def __init__(self, role, view_role=None):
        self.role, self.view_role = role, view_role


@pytest.mark.parametrize(
    "role, view_role, effective",
    [
        ("admin", None, "admin"),
        ("admin", "staff", "staff"),
        ("admin", "user", "user"),
        ("staff", "admin", "staff"),  # never widens
        ("user", "admin", "user"),
        ("staff", "bogus", "staff"),
    ],
)
def test_effective_role(role, view_role, effective):
    assert roles.effective_role(Person(role, view_role)) == effective


def test_anonymous_has_no_role():
    class Anonymous:
        is_authenticated = False

    assert not roles.has_role(Anonymous(), "user")


def test_admin_views_as_regular_user_and_back(client, actor):
    actor("admin")
    assert client.get("/admin/").status_code == 200
    r = post_form(client, "/account/view-as", {"role": "user"}, token_from="/account/")
    assert r.status_code == 302
    assert client.get("/admin/").status_code == 403
    assert client.get("/dashboard/admin/").status_code == 403
    assert 'id="view-as-banner"' in client.get("/account/").get_data(as_text=True)
    post_form(client, "/account/view-as", {"role": "admin"}, token_from="/account/")
    assert client.get("/admin/").status_code == 200


def test_view_as_is_per_session(app, client, actor):
    who = actor("admin")
    post_form(client, "/account/view-as", {"role": "staff"}, token_from="/account/")
    from tests.helpers import login

    other = app.test_client()
    login(other, who.user.email)
    assert other.get("/admin/admin_audit/").status_code == 200
    assert client.get("/admin/admin_audit/").status_code == 403


@pytest.mark.parametrize(
    "role, target, status",
    [("user", "staff", 403), ("staff", "admin", 403), ("user", "bogus", 400)],
)
def test_cannot_switch_above_real_role(client, actor, role, target, status):
    actor(role)
    r = post_form(client, "/account/view-as", {"role": target}, token_from="/account/")
    assert r.status_code == status
