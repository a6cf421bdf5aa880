"""Flask-Admin back office, built per app inside init_admin(app).

Staff see everything read-only; admins may edit and run actions. Every change is audited.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

from flask import Flask, abort, flash, g, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_admin.contrib.sqla.typefmt import DEFAULT_FORMATTERS
from flask_admin.model.typefmt import DETAIL_FORMATTERS
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.validators import ValidationError

from webapp.admin import changes
from webapp.admin.formatters import is_set, session_owner, truncated, user_link
from webapp.auth.forms import ValidEmail
from webapp.extensions import db
from webapp.hooks import csp_nonce
from webapp.models import (
    AdminAudit,
    IpBlock,
    LoginAttempt,
    LoginLockout,
    OutboxMail,
    RegistrationSource,
    SecurityEvent,
    User,
    UserSession,
    utcnow,
)
from webapp.models.outbox import STATUSES
from webapp.models.registration_source import CATEGORIES
from webapp.services import (
    audit,
    auth,
    blocks,
    outbox,
    reauth,
    sessions,
    sources,
    wording,
)
from webapp.services.clock import admin_datetime_formatter
from webapp.services.roles import is_admin, is_staff
from webapp.services.spreadsheets import safe_cell
from webapp.services.wording import human
from webapp.web import reauth_redirect


class SecureMixin:
    """Only staff and admins see the back office; only admins change anything."""

    def is_accessible(self) -> bool:
        return is_staff(current_user)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class SecureIndexView(SecureMixin, AdminIndexView):
    """The back-office landing page."""

    @expose("/")
    def index(self):
        return self.render("admin/index.html")


# Flask-Admin views whose POSTs delete or act on records in bulk.
DESTRUCTIVE_VIEWS = {"delete_view", "action_view"}
MAX_PAGE = 100_000  # list pages past this show nothing anyway; OFFSET stays a small number


class SecureModelView(SecureMixin, ModelView):
    """Read-only for staff, full for admins; edits and deletions are audited."""

    page_size = 50
    admin_only = False  # True: staff cannot even read it
    # Times in the viewer's zone, named, to the minute (the stored UTC value as a tooltip).
    column_type_formatters = DEFAULT_FORMATTERS | {datetime: admin_datetime_formatter}
    column_type_formatters_detail = DETAIL_FORMATTERS | {datetime: admin_datetime_formatter}

    def is_accessible(self) -> bool:
        return is_admin(current_user) if self.admin_only else is_staff(current_user)

    @property
    def can_create(self) -> bool:
        return is_admin(current_user)

    can_edit = can_create
    can_delete = can_create

    def is_action_allowed(self, name: str) -> bool:
        return is_admin(current_user) and super().is_action_allowed(name)

    def _handle_view(self, name, **kwargs):
        # Deletions and bulk actions need a recent factor check on this session, as the
        # account's own sensitive changes do.
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if (
            name in DESTRUCTIVE_VIEWS
            and request.method == "POST"
            and not reauth.is_recent(current_user)
        ):
            return reauth_redirect()
        return None

    def _get_list_extra_args(self):
        # The page number becomes an OFFSET: negative or huge, it is an SQL error.
        args = super()._get_list_extra_args()
        args.page = min(max(args.page or 0, 0), MAX_PAGE)
        return args

    def get_export_value(self, model, name):
        # Exported files are opened in spreadsheets; attempts carry attacker-chosen text.
        return safe_cell(super().get_export_value(model, name))

    def after_model_change(self, form, model, is_created):
        verb = "create" if is_created else "edit"
        details = "; ".join(filter(None, (_changes(form), g.pop("audit_extra", ""))))
        audit.record(current_user, verb, self.model.__name__, model.id, details)
        db.session.commit()

    def on_model_delete(self, model):
        # What the row was, written while it still exists: the audit log outlives it.
        g.deleted_label = audit.describe(model)

    def after_model_delete(self, model):
        details = f"deleted: {g.pop('deleted_label', '')}"
        audit.record(current_user, "delete", self.model.__name__, model.id, details)
        db.session.commit()

    def _audited(self, ids, name: str, fn) -> int:
        """Run fn on each selected row and audit what it says it changed; commit once."""
        rows = db.session.execute(select(self.model).where(self.model.id.in_(ids))).scalars().all()
        for row in rows:
            details = fn(row)
            audit.record(current_user, name, self.model.__name__, row.id, details or "")
        db.session.commit()
        flash(
            ngettext(
                "%(action)s: %(num)d record.",
                "%(action)s: %(num)d records.",
                len(rows),
                action=name.replace("_", " ").capitalize(),
            ),
            "success",
        )
        return len(rows)


def _changes(form) -> str:
    """The fields a form changed, as "name: old → new" (never secrets)."""
    if form is None:
        return ""
    return "; ".join(
        audit.change(name, field.object_data, field.data)
        for name, field in form._fields.items()
        if name not in ("csrf_token", "password_hash")
        and field.data != field.object_data
        and (field.data or field.object_data)  # None and "" are both "empty"
    )


class ReadOnlyModelView(SecureModelView):
    """Records nobody edits by hand."""

    can_create = can_edit = can_delete = False
    can_view_details = True


class VerifiedFilter(BaseSQLAFilter):
    """Users whose email is (not) verified."""

    def apply(self, query, value, alias=None):
        column = User.email_verified_at
        return query.filter(column.is_not(None) if value == "1" else column.is_(None))

    def operation(self):
        return "is"


class LockedFilter(BaseSQLAFilter):
    """Users whose email is locked out right now."""

    def apply(self, query, value, alias=None):
        locked = select(LoginLockout.email).where(LoginLockout.locked_until > utcnow())
        condition = User.email.in_(locked)
        return query.filter(condition if value == "1" else ~condition)

    def operation(self):
        return "is"


YES_NO = (("1", _l("Yes")), ("0", _l("No")))


class UserAdmin(SecureModelView):
    """Users: search, filters, edit, bulk actions; a user created here gets the emails."""

    # What fits a laptop's width; the details page has every column.
    column_list = (
        "email",
        "username",
        "role",
        "is_active",
        "email_verified_at",
        "last_login_at",
        "login_count",
        "totp_enabled_at",
    )
    column_labels = {
        "email": _l("Email"),
        "username": _l("Username"),
        "role": _l("Role"),
        "is_active": _l("Active"),
        "email_verified_at": _l("Verified"),
        "last_login_at": _l("Last sign-in"),
        "login_count": _l("Sign-ins"),
        "totp_enabled_at": _l("2FA"),
        "mfa_required": _l("2FA required"),
    }
    column_formatters = {
        "email": truncated(),
        "username": truncated(24),
        "role": lambda view, context, model, name: wording.label(wording.ROLES, model.role),
        "email_verified_at": is_set,
        "totp_enabled_at": is_set,
    }
    column_formatters_detail = {}
    column_searchable_list = ("email", "username")
    column_filters = (
        "role",
        "is_active",
        VerifiedFilter(User.email_verified_at, _l("Verified"), options=YES_NO),
        LockedFilter(User.email, _l("Locked"), options=YES_NO),
        "created_at",
    )
    column_default_sort = ("id", False)
    form_columns = (
        "email",
        "username",
        "full_name",
        "role",
        "is_active",
        "mfa_required",
        "timezone",
    )
    form_args = {"email": {"validators": [ValidEmail()]}}
    form_choices = {"role": [("user", "user"), ("staff", "staff"), ("admin", "admin")]}
    column_exclude_list = ("password_hash", "totp_secret_encrypted")
    can_view_details = True
    column_details_exclude_list = ("password_hash", "totp_secret_encrypted")

    def on_model_change(self, form, model, is_created):
        model.email = auth.normalise_email(model.email)
        if is_created:
            model.registration_source = "admin"
            model.source = sources.source_for(sources.Landing(), "admin")
        if not model.is_active and model.id:
            ended = sessions.revoke_all(model.id, "deactivated")
            g.audit_extra = f"{ended} session(s) ended"

    def after_model_change(self, form, model, is_created):
        if is_created:
            # Verify the address, and let the person choose a password.
            auth.send_verification(model)
            auth.request_password_reset(model.email)
        super().after_model_change(form, model, is_created)

    @action("verify", _l("Mark email verified"))
    def action_verify(self, ids):
        self._audited(ids, "mark_verified", changes.verify)

    @action("activate", _l("Activate"))
    def action_activate(self, ids):
        self._audited(ids, "activate", lambda u: changes.set_active(u, True))

    @action(
        "deactivate", _l("Deactivate"), _l("Deactivate the selected users and end their sessions?")
    )
    def action_deactivate(self, ids):
        self._audited(ids, "deactivate", lambda u: changes.set_active(u, False))

    @action("unlock", _l("Unlock sign-in"))
    def action_unlock(self, ids):
        self._audited(ids, "unlock", changes.unlock)

    @action(
        "force_reset",
        _l("Force a password reset"),
        _l("The current passwords stop working. Go on?"),
    )
    def action_force_reset(self, ids):
        self._audited(ids, "force_password_reset", changes.force_reset)

    @action("require_mfa", _l("Require two-factor authentication"))
    def action_require_mfa(self, ids):
        self._audited(ids, "require_mfa", lambda u: changes.set_flag(u, "mfa_required", True))

    @action("waive_mfa", _l("Stop requiring two-factor authentication (the role may still)"))
    def action_waive_mfa(self, ids):
        self._audited(ids, "waive_mfa", lambda u: changes.set_flag(u, "mfa_required", False))

    @action(
        "reset_mfa",
        _l("Reset two-factor authentication"),
        _l("Remove the authenticator, recovery codes and trusted browsers (a lost phone)?"),
    )
    def action_reset_mfa(self, ids):
        self._audited(ids, "reset_mfa", changes.reset_mfa)

    @action("sign_out", _l("Sign out everywhere"))
    def action_sign_out(self, ids):
        self._audited(ids, "sign_out_everywhere", changes.sign_out)


class AttemptAdmin(ReadOnlyModelView):
    """Every login attempt, newest first, with CSV export."""

    # "Next" and "previous" only: a page count would COUNT every attempt on each visit.
    simple_list_pager = True
    column_default_sort = ("created_at", True)
    column_list = (
        "created_at",
        "email_tried",
        "success",
        "method",
        "reason",
        "ip",
        "country",
        "device",
    )
    column_formatters = {"email_tried": truncated(), "device": truncated(28)}
    column_formatters_detail = column_formatters_export = {}
    column_filters = (
        "success",
        "reason",
        "method",
        "created_at",
        "ip",
        "country",
        "email_tried",
        "user_id",
    )
    can_export = True
    export_types = ["csv"]


class SessionAdmin(ReadOnlyModelView):
    """Server-side sessions; admins can revoke them."""

    column_default_sort = ("last_seen_at", True)
    column_list = ("user", "kind", "device", "ip", "last_seen_at", "revoked_at", "revoked_reason")
    column_details_list = (
        "user",
        "kind",
        "device",
        "user_agent",
        "ip",
        "created_at",
        "last_seen_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
    )
    column_formatters = {"user": session_owner, "device": truncated(28)}
    column_formatters_detail = {"user": session_owner}
    column_filters = ("kind", "revoked_at", "last_seen_at", "ip")

    @action("revoke", _l("Revoke"))
    def action_revoke(self, ids):
        for row in db.session.execute(select(UserSession).where(UserSession.id.in_(ids))).scalars():
            details = audit.describe(row) + ("" if row.revoked_at is None else "; already ended")
            sessions.revoke(row.id, "admin_revoked")
            audit.record(current_user, "revoke_session", "UserSession", row.id, details)
        db.session.commit()
        flash(
            ngettext("Revoked %(num)d session.", "Revoked %(num)d sessions.", len(ids)), "success"
        )


class EventAdmin(ReadOnlyModelView):
    """Security events; admins acknowledge them and act on their address or account."""

    column_default_sort = ("created_at", True)
    column_list = (
        "created_at",
        "kind",
        "email",
        "ip",
        "country",
        "device",
        "details",
        "acknowledged_at",
    )
    column_formatters = {
        "email": truncated(),
        "device": truncated(28),
        "details": truncated(60),
    }
    column_formatters_detail = {}
    column_filters = ("kind", "created_at", "acknowledged_at", "email", "ip", "country")

    @action("acknowledge", _l("Acknowledge"))
    def action_acknowledge(self, ids):
        self._audited(ids, "acknowledge", changes.acknowledge)

    @action(
        "block_ip",
        _l("Block the address for 24 hours"),
        _l("Refuse sign-ins from these addresses?"),
    )
    def action_block_ip(self, ids):
        self._audited(ids, "block_ip", changes.block_ip)

    @action("lock_account", _l("Lock the account"), _l("Lock sign-in to these accounts?"))
    def action_lock_account(self, ids):
        self._audited(ids, "lock_account", lambda e: changes.on_user(e, changes.lock_account))

    @action(
        "force_reset",
        _l("Force a password reset"),
        _l("The current passwords stop working. Go on?"),
    )
    def action_force_reset(self, ids):
        self._audited(
            ids, "force_password_reset", lambda e: changes.on_user(e, changes.force_reset)
        )


class BlockAdmin(SecureModelView):
    """Blocked addresses and networks (admins only)."""

    admin_only = True
    can_edit = False
    column_default_sort = ("expires_at", True)
    column_list = ("cidr", "reason", "created_at", "expires_at")
    form_columns = ("cidr", "reason", "expires_at")

    def on_model_change(self, form, model, is_created):
        errors = blocks.block_errors(model.cidr, 1, model.reason)
        if errors.get("cidr"):
            raise ValidationError(human(errors["cidr"][0]))
        model.cidr = str(ipaddress.ip_network(model.cidr.strip(), strict=False))
        model.created_by_id = current_user.id
        model.created_at = utcnow()


class SourceAdmin(SecureModelView):
    """Registration sources: admins rename or recategorise them, or merge several into one."""

    can_create = False
    column_default_sort = ("id", False)
    column_list = ("id", "name", "category", "key", "created_at")
    column_searchable_list = ("name", "key")
    column_filters = ("category", "created_at")
    form_columns = ("name", "category")
    form_choices = {"category": [(c, c) for c in CATEGORIES]}

    @action(
        "merge",
        _l("Merge"),
        _l(
            "Move the users of the selected sources into the one with the most users, "
            "and delete the others?"
        ),
    )
    def action_merge(self, ids):
        chosen = (
            db.session.execute(select(RegistrationSource).where(RegistrationSource.id.in_(ids)))
            .scalars()
            .all()
        )
        if len(chosen) < 2:
            flash(_("Select at least two sources to merge."), "warning")
            return
        counts = dict(
            db.session.execute(
                select(User.source_id, func.count())
                .where(User.source_id.in_([s.id for s in chosen]))
                .group_by(User.source_id)
            ).all()
        )
        target = max(chosen, key=lambda s: (counts.get(s.id, 0), -s.id))
        merged = [s.id for s in chosen if s.id != target.id]
        moved = sources.merge(target, chosen)
        details = f"merged {merged} into {target.id}, {moved} user(s) moved"
        audit.record(current_user, "merge_sources", "RegistrationSource", target.id, details)
        db.session.commit()
        flash(
            _(
                "Merged %(sources)s source(s) into %(target)s; %(users)s user(s) moved.",
                sources=len(merged),
                target=target.name,
                users=moved,
            ),
            "success",
        )


class AuditAdmin(ReadOnlyModelView):
    """The audit log (admins only): who did what, to whom (named), and what changed."""

    admin_only = True
    column_default_sort = ("created_at", True)
    column_list = ("created_at", "actor_email", "action", "target_id", "details")
    column_details_list = (*column_list, "target_type")
    column_labels = {
        "created_at": _l("When"),
        "actor_email": _l("By"),
        "action": _l("Action"),
        "target_id": _l("Target"),
        "details": _l("Details"),
    }
    column_filters = ("action", "actor_email", "target_type", "created_at")
    column_searchable_list = ("actor_email", "target_id", "details")

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):  # (an export asks for the query itself)
            # One lookup per kind of target for the whole page, not one per row.
            g.audit_targets = audit.targets(rows)
        return count, rows

    def _target(self, context, model, name):
        known = g.get("audit_targets") or audit.targets([model])
        label, user_id = known.get((model.target_type, model.target_id), (None, None))
        if label is None:
            return _(
                "%(kind)s #%(id)s (no longer exists)", kind=model.target_type, id=model.target_id
            )
        return user_link(user_id, label)

    column_formatters = {"target_id": _target, "actor_email": truncated(24)}
    column_formatters_detail = {"target_id": _target}


class OutboxAdmin(ReadOnlyModelView):
    """The mail outbox: delivery state per message; admins retry. Bodies are never shown.

    They hold live reset and unlock links and codes, which staff must not read.
    """

    column_default_sort = ("id", True)
    column_list = (
        "created_at",
        "recipient",
        "subject",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    )
    column_details_list = (
        *column_list,
        "next_attempt_at",
        "message_id",
        "claimed_by",
        "claimed_until",
    )
    column_formatters = {
        "recipient": truncated(),
        "subject": truncated(),
        "last_error": truncated(),
    }
    column_formatters_detail = {}
    column_filters = (
        FilterEqual(OutboxMail.status, _l("Status"), options=[(s, s) for s in STATUSES]),
        "recipient",
        "created_at",
    )
    column_searchable_list = ("recipient", "subject")

    @action("retry", _l("Retry now"), _l("Send the selected messages again now?"))
    def action_retry(self, ids):
        ids = [int(i) for i in ids]
        before = {
            m.id: m.status
            for m in db.session.execute(select(OutboxMail).where(OutboxMail.id.in_(ids))).scalars()
        }
        count = outbox.retry_now(ids)
        for mail_id in ids:
            was = before.get(mail_id, "missing")
            details = f"status was {was}; " + ("left alone" if was == "sent" else "queued again")
            audit.record(current_user, "retry_mail", "OutboxMail", mail_id, details)
        db.session.commit()
        flash(
            _("Retry now: %(num)s message(s) queued; sent ones are left alone.", num=count),
            "success",
        )


def init_admin(app: Flask) -> Admin:
    """Build the Flask-Admin instance and its views for this app."""
    admin = Admin(
        app,
        name=_l("Doorman admin"),
        theme=Bootstrap4Theme(),
        index_view=SecureIndexView(url="/admin"),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(UserAdmin(User, db, name=_l("Users"), endpoint="admin_users"))
    admin.add_view(
        AttemptAdmin(LoginAttempt, db, name=_l("Login attempts"), endpoint="admin_attempts")
    )
    admin.add_view(SessionAdmin(UserSession, db, name=_l("Sessions"), endpoint="admin_sessions"))
    admin.add_view(
        EventAdmin(SecurityEvent, db, name=_l("Security events"), endpoint="admin_events")
    )
    admin.add_view(BlockAdmin(IpBlock, db, name=_l("Blocked addresses"), endpoint="admin_blocks"))
    admin.add_view(
        SourceAdmin(RegistrationSource, db, name=_l("Sources"), endpoint="admin_sources")
    )
    admin.add_view(AuditAdmin(AdminAudit, db, name=_l("Audit log"), endpoint="admin_audit"))
    admin.add_view(OutboxAdmin(OutboxMail, db, name=_l("Mail outbox"), endpoint="admin_outbox"))
    app.after_request(_html_lang)
    return admin


def _html_lang(response):
    """Flask-Admin's base template has no lang on <html> (WCAG 3.1.1), and the tag sits
    outside every block a template could override: add it to the back office's pages."""
    if (
        request.path.startswith("/admin")
        and response.mimetype == "text/html"
        and not response.direct_passthrough
    ):
        lang = f'<html lang="{get_locale() or "en"}">'.encode()
        response.set_data(response.get_data().replace(b"<html>", lang, 1))
    return response
