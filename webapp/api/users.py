"""Profile and user endpoints of the API."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import func, select

from webapp.api import bp
from webapp.api.common import (
    NOT_FOUND,
    PERMISSION_DENIED,
    ApiError,
    api_auth,
    json_body,
    me,
    page_body,
    paginate,
    require_recent_auth,
    text_field,
    user_summary,
)
from webapp.api.docs import doc
from webapp.extensions import db
from webapp.models import User
from webapp.services import accounts, auth, avatars, roles
from webapp.services.analytics import AnalyticsError, user_selection
from webapp.services.passwords import hash_password
from webapp.services.sessions import revoke_all

PROFILE_FIELDS = ("username", "full_name", "bio", "phone", "timezone", "language")


@bp.route("/user/me/", methods=["GET", "PUT", "PATCH", "DELETE"])
@api_auth()
@doc(
    "Your profile",
    body="UserUpdate",
    multipart=True,
    auth=True,
    responses={200: "UserSummary", 204: "Empty", 400: "FieldErrors"},
)
def my_profile():
    """Read, update (JSON or multipart; image is a file, or null/"" to clear) or delete."""
    return _user_endpoint(me())


@bp.route("/user/users/<int(max=2147483647):user_id>/", methods=["GET", "PUT", "PATCH", "DELETE"])
@api_auth()
@doc(
    "One user",
    body="UserUpdate",
    multipart=True,
    auth=True,
    responses={
        200: "UserSummary",
        204: "Empty",
        400: "FieldErrors",
        403: "Forbidden",
        404: "Error",
    },
)
def one_user(user_id: int):
    """Self, or staff+ to read and admins to change; permission is checked before existence."""
    viewer = me()
    if viewer.id != user_id:
        needed = "staff" if request.method == "GET" else "admin"
        if not roles.has_role(viewer, needed):
            raise ApiError(403, PERMISSION_DENIED)
    target = db.session.get(User, user_id)
    if target is None:
        raise ApiError(404, NOT_FOUND)
    return _user_endpoint(target)


def _user_endpoint(target: User):
    if request.method == "GET":
        return jsonify(user_summary(target))
    if request.method == "DELETE":
        require_recent_auth()
        avatar_file = target.avatar_path
        accounts.delete_user(target)
        db.session.commit()
        avatars.remove_file(avatar_file)
        return "", 204
    return _update(target)


def _update(target: User):
    """PUT and PATCH alike are partial updates: only the fields sent change."""
    data = json_body(allow_form=True)
    errors: dict[str, list[str]] = {}
    if (
        "email" in data
        and isinstance(data["email"], str)
        and auth.normalise_email(data["email"]) != target.email
    ):
        errors["email"] = ["E-mail cannot be changed here; use the account's email change."]
    changes = {k: text_field(data, k, max_length=10_000) for k in PROFILE_FIELDS if k in data}
    errors.update(accounts.profile_errors(target, changes))
    if "username" in changes and not changes["username"].strip():
        errors["username"] = ["Username cannot be null"]
    password = text_field(data, "password", max_length=10_000) if "password" in data else None
    if password is not None:
        if not roles.is_admin(me()):
            errors["password"] = ["Only an admin can set a password here."]
        else:
            errors.update(
                auth.new_password_errors(
                    target, password, text_field(data, "passwordRepeat", max_length=10_000)
                )
            )
    old_file = None
    if not errors:
        upload = request.files.get("image")
        try:
            if upload is not None and upload.filename:
                old_file = avatars.store(
                    target, upload.read(avatars.MAX_BYTES + 1), upload.filename
                )
            elif "image" in data and data["image"] in (None, ""):
                old_file = avatars.clear(target)
            elif "image" in data:
                errors["image"] = [avatars.FORMAT_ERROR]
        except avatars.AvatarError as exc:
            errors["image"] = [str(exc)]
    if errors:
        db.session.rollback()
        raise ApiError(400, errors)
    accounts.update_profile(target, changes)
    if password is not None:
        target.password_hash = hash_password(password)
        revoke_all(target.id, "password_change")
    db.session.commit()
    avatars.remove_file(old_file)
    return jsonify(user_summary(target))


@bp.route("/user/users/")
@api_auth("staff")
@doc(
    "List users",
    auth=True,
    params=("paging", "role"),
    extra=[{"name": "me", "in": "query", "schema": {"type": "string"}}],
    responses={200: "UserPage", 400: "Error", 403: "Forbidden"},
)
def list_users():
    """Users ordered by id; role=admin|regular filters, me=true shows only you."""
    try:
        query = user_selection(
            me_id=me().id if request.args.get("me") == "true" else None,
            role=request.args.get("role") or None,
        )
    except AnalyticsError as exc:
        raise ApiError(400, {"error": str(exc)}) from None
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page, size, offset = paginate(total)
    users = db.session.execute(query.limit(size).offset(offset)).scalars()
    results = [{**user_summary(u), "is_admin": u.role in ("staff", "admin")} for u in users]
    return jsonify(page_body(total, page, size, results))
