"""Flask-Admin back office, built per app inside init_admin(app)."""

from __future__ import annotations

from flask import Flask, abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from webapp.extensions import db
from webapp.hooks import csp_nonce
from webapp.models import LoginAttempt, SecurityEvent, User, UserSession

STAFF_ROLES = ("staff", "admin")


class SecureMixin:
    """Only staff and admins see the back office; only admins change anything."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.role in STAFF_ROLES

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecureIndexView(SecureMixin, AdminIndexView):
    """The back-office landing page."""

    @expose("/")
    def index(self):
        return self.render("admin/index.html")


class SecureModelView(SecureMixin, ModelView):
    """Read-only for staff, full for admins."""

    page_size = 50

    @property
    def can_create(self) -> bool:
        return current_user.is_authenticated and current_user.role == "admin"

    can_edit = can_create
    can_delete = can_create


class ReadOnlyModelView(SecureModelView):
    """Records nobody edits: attempts, sessions, events."""

    can_create = can_edit = can_delete = False
    can_view_details = True


class UserAdmin(SecureModelView):
    """Users: search by email and username; secrets never shown."""

    column_list = (
        "id",
        "email",
        "username",
        "role",
        "is_active",
        "email_verified_at",
        "created_at",
    )
    column_searchable_list = ("email", "username")
    column_filters = ("role", "is_active", "email_verified_at", "created_at")
    form_columns = ("email", "username", "full_name", "role", "is_active", "timezone")
    column_exclude_list = ("password_hash", "totp_secret_encrypted")


class AttemptAdmin(ReadOnlyModelView):
    """Every login attempt, newest first."""

    column_default_sort = ("created_at", True)
    column_list = ("created_at", "email_tried", "success", "method", "reason", "ip", "device")
    column_filters = ("success", "reason", "method", "created_at", "ip", "email_tried")
    can_export = True


def init_admin(app: Flask) -> Admin:
    """Build the Flask-Admin instance and its views for this app."""
    admin = Admin(
        app,
        name="Doorman admin",
        theme=Bootstrap4Theme(),
        index_view=SecureIndexView(url="/admin"),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(UserAdmin(User, db, name="Users", endpoint="admin_users"))
    admin.add_view(AttemptAdmin(LoginAttempt, db, name="Login attempts", endpoint="admin_attempts"))
    admin.add_view(ReadOnlyModelView(UserSession, db, name="Sessions", endpoint="admin_sessions"))
    admin.add_view(
        ReadOnlyModelView(SecurityEvent, db, name="Security events", endpoint="admin_events")
    )
    return admin
