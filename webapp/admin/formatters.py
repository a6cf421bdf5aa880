"""Cells of the back office's lists: long text cut with a tooltip, accounts as linked emails."""

from __future__ import annotations

from flask import url_for
from flask_admin.model import typefmt
from markupsafe import Markup


def truncated(limit: int = 40):
    """A list formatter that cuts text past limit characters, the whole of it in the title."""

    def format_cell(view, context, model, name):
        text = str(getattr(model, name) or "")
        if len(text) <= limit:
            return text
        return Markup('<span class="cell-truncate" title="{0}">{0}</span>').format(text)

    return format_cell


def is_set(view, context, model, name):
    """A list cell for a "since when" column: a check when set (the details page has the time)."""
    value = getattr(model, name) is not None
    return typefmt.bool_formatter(view, value, view.column_labels.get(name, name))


def user_link(user_id: int | None, label: str) -> Markup | str:
    """An account's email (cut when long), linked to its record in the back office."""
    text = Markup('<span class="cell-truncate" title="{0}">{0}</span>').format(label)
    if user_id is None:
        return text
    url = url_for("admin_users.details_view", id=user_id)
    return Markup('<a href="{}">{}</a>').format(url, text)


def session_owner(view, context, model, name):
    """A session's owner as a linked email."""
    return user_link(model.user_id, model.user.email if model.user else "")
