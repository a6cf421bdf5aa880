"""Access checks for views: one decorator, built on services/roles.py."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from webapp.extensions import login_manager
from webapp.services.roles import has_role


def role_required(role: str):
    """Anonymous: to the login page; signed in without the role: 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_role(current_user, role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
