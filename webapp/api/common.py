"""Shared pieces of the JSON API: errors, body parsing, auth, pagination, payloads."""

from __future__ import annotations

from functools import wraps

from flask import jsonify, request, url_for
from flask_jwt_extended import get_current_user, verify_jwt_in_request

from webapp.services import auth, mfa, roles
from webapp.services.avatars import avatar_url

PERMISSION_DENIED = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "Not found."}
REAUTH_REQUIRED = {"reauth_required": True}
MFA_ENROLMENT_DUE = {"detail": "Your role requires two-factor authentication. Set it up first."}
MAX_PAGE_SIZE = 100


class ApiError(Exception):
    """An error answer with a contract body."""

    def __init__(self, status: int, body: dict, headers: dict | None = None) -> None:
        super().__init__(body)
        self.status, self.body, self.headers = status, body, headers or {}


def api_error_response(error: ApiError):
    """Render an ApiError."""
    response = jsonify(error.body)
    response.status_code = error.status
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


def json_body(*, allow_form: bool = False) -> dict:
    """The request's JSON object (or form fields when allowed); 400 when malformed."""
    if allow_form and request.mimetype in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        return {k: v for k, v in request.form.items()}
    if request.mimetype != "application/json":
        if not request.get_data(cache=True):
            return {}
        raise ApiError(400, {"error": "Send a JSON object with Content-Type: application/json."})
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, {"error": "Malformed JSON: expected an object."})
    return data


def text_field(data: dict, name: str, *, max_length: int = 1024) -> str:
    """A string field (missing: empty); 400 for other types or absurd lengths."""
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, {name: ["Must be a string."]})
    if len(value) > max_length:
        raise ApiError(
            400, {name: [f"Ensure this field has no more than {max_length} characters."]}
        )
    return value


def email_field(data: dict) -> str:
    """The normalised `email` of a body; 400 `{"email": ["email_required" | "email_invalid"]}`."""
    email = auth.normalise_email(text_field(data, "email", max_length=10_000))
    problem = auth.email_error(email)
    if problem:
        raise ApiError(400, {"email": [f"email_{problem}"]})
    return email


def credential_field(data: dict) -> dict:
    """The `credential` object of a body (a PublicKeyCredential as JSON); 400 otherwise."""
    credential = data.get("credential")
    if not isinstance(credential, dict) or not credential:
        raise ApiError(400, {"credential": ["Send the credential as a JSON object."]})
    return credential


def api_auth(role: str | None = None):
    """Require a valid access token (header or cookie); optionally a role (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            verify_jwt_in_request()
            if role and not roles.has_role(get_current_user(), role):
                raise ApiError(403, PERMISSION_DENIED)
            if request.endpoint not in mfa.ENROLMENT_OPEN and mfa.enrolment_due(get_current_user()):
                raise ApiError(403, MFA_ENROLMENT_DUE)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_recent_auth() -> None:
    """Sensitive changes: 401 {"reauth_required": true} without a recent factor check on this
    session (POST user/reauth/ gives one)."""
    from webapp.services import reauth

    if not reauth.is_recent(get_current_user()):
        raise ApiError(401, REAUTH_REQUIRED)


def me():
    """The user behind the access token."""
    return get_current_user()


def wire_role(user) -> str:
    """regular | staff | superuser for the user's effective role."""
    return {"user": "regular", "staff": "staff", "admin": "superuser"}[roles.effective_role(user)]


def user_summary(user) -> dict:
    """{"id", "username", "email", "image"}."""
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "image": avatar_url(user),
    }


def page_args(default_size: int = 25) -> tuple[int, int]:
    """(page, size) from the query string; size is capped at 100."""
    try:
        page = int(request.args.get("page", 1))
        size = int(request.args.get("size", default_size))
    except ValueError:
        raise ApiError(400, {"error": "page and size must be integers."}) from None
    return page, max(1, min(size, MAX_PAGE_SIZE))


def paginate(total: int, default_size: int = 25) -> tuple[int, int, int]:
    """(page, size, offset); a page past the end gives the last page."""
    page, size = page_args(default_size)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    return page, size, (page - 1) * size


def page_body(total: int, page: int, size: int, results: list) -> dict:
    """{"count", "next", "previous", "results"} with absolute URLs."""
    pages = max(1, -(-total // size))

    def link(n: int) -> str:
        args = request.args.to_dict(flat=False)
        args.update(page=[str(n)], size=[str(size)])
        return url_for(request.endpoint, _external=True, **(request.view_args or {}), **args)

    return {
        "count": total,
        "next": link(page + 1) if page < pages else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": results,
    }
