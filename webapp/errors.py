"""Error pages: HTML for people, JSON under /api/ and for clients that ask for JSON."""

from __future__ import annotations

import math
import time

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.extensions import limiter, login_manager
from webapp.hooks import mark_attempt_refused
from webapp.services.clock import in_words
from webapp.services.health import database_unreachable
from webapp.services.wording import human
from webapp.web import wants_json

TITLES = {
    400: _l("Bad request"),
    401: _l("Not signed in"),
    403: _l("Forbidden"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("Request too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}
MESSAGES = {
    400: "The request could not be understood.",
    401: "You need to sign in first.",
    403: "You do not have permission to perform this action.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    413: "The request is larger than this server accepts.",
    429: "Too many requests. Please wait before trying again.",
    500: "An unexpected error happened. It has been logged.",
    503: "The service is briefly unavailable. Please try again in a few seconds.",
}


# Forms that upload files: a too-large upload names the form's own limit, not the server's.
UPLOAD_LIMITS = {
    "account.upload_avatar": "An avatar can be at most 2 MiB. Choose a smaller JPG or PNG image.",
}


def retry_after_seconds(error: HTTPException) -> int:
    """Seconds until a rate limit resets, from Flask-Limiter or the error itself."""
    explicit = getattr(error, "retry_after", None)
    if explicit:
        return int(explicit)
    current = limiter.current_limit
    if current is not None:
        return max(1, math.ceil(current.reset_at - time.time()))
    return 60


def try_again_in(seconds: int) -> str:
    """When a refused person may try again, in words: 'Try again in 4 minutes.'"""
    return gettext("Too many attempts. Try again %(wait)s.", wait=in_words(seconds))


def form_refused(seconds: int):
    """A form page a rate limit refused, drawn again with what was typed (never a
    password), the wait in words and Retry-After; None when the request is not one."""
    view = current_app.view_functions.get(request.endpoint or "")
    render = getattr(view, "redraw_when_limited", None)
    if render is None or request.method != "POST" or wants_json():
        return None
    flash(try_again_in(seconds), "danger")
    response = make_response(render(), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def error_response(code: int, description: str | None = None, retry_after: int | None = None):
    """Render one error as JSON or HTML, with Retry-After on 429."""
    message = description or MESSAGES.get(code, "Error")
    if wants_json():
        if code == 401:
            body = {"message": "Token is invalid or expired"}
        elif code == 403:
            body = {"detail": MESSAGES[403]}
        elif code == 429:
            body = {"detail": message, "retry_after": retry_after}
        else:
            body = {"error": message, "detail": message}
        response = jsonify(body)
    else:
        response = make_response(
            render_template(
                "errors/error.html",
                code=code,
                title=TITLES.get(code, _l("Error")),
                message=human(message),
                retry_after=retry_after,
            )
        )
    response.status_code = code
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    """Register the handlers for HTTP errors, CSRF failures and crashes."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        mark_attempt_refused("bad_request")
        return error_response(400, "The form expired or did not come from this site. Try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code == 429:
            mark_attempt_refused("rate_limited")
            seconds = retry_after_seconds(error)
            return form_refused(seconds) or error_response(429, MESSAGES[429], seconds)
        mark_attempt_refused("error" if code >= 500 else "bad_request")
        described = error.description if code in (400, 413) and _custom(error) else None
        if code == 413 and request.endpoint in UPLOAD_LIMITS:
            described = UPLOAD_LIMITS[request.endpoint]
        response = error_response(code, described)
        # The error's own headers (a 405's Allow, for one) are part of the answer.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)
    def database_error(error):
        if not database_unreachable(error):
            raise error  # a fault of ours, not an outage: the 500 handler takes it
        return unavailable_response(error)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        original = getattr(error, "original_exception", None)
        if database_unreachable(original):  # e.g. raised by an after-request hook
            return unavailable_response(original)
        mark_attempt_refused("error")
        app.logger.error("unhandled error: %s", getattr(error, "original_exception", error))
        return error_response(500)


def unavailable_response(error: BaseException):
    """503 with Retry-After while the database cannot be reached (the attempt is spooled)."""
    current_app.logger.warning("database unreachable: %s", error)
    mark_attempt_refused("error")
    # The page must not ask the database who is signed in.
    g._login_user = login_manager.anonymous_user()
    seconds = current_app.config["DATABASE_RETRY_AFTER"]
    return error_response(503, MESSAGES[503], seconds)


def _custom(error: HTTPException) -> bool:
    """Whether a 400/413 carries our own description rather than Werkzeug's default."""
    return error.description != type(error).description
