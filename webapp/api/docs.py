"""OpenAPI 3 document generated from the API's routes and their @doc metadata; Swagger UI
and ReDoc served from local assets."""

from __future__ import annotations

import re

from apispec import APISpec
from flask import current_app, jsonify, render_template

from webapp.api import bp

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NULLABLE_STR = {"type": "string", "nullable": True}
CHART = {
    "type": "object",
    "required": ["labels", "datasets"],
    "properties": {
        "labels": {"type": "array", "items": STR},
        "datasets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "data", "backgroundColor", "borderColor"],
                "properties": {
                    "label": STR,
                    "data": {"type": "array", "items": {"type": "number"}},
                    # One colour, or (pies) one colour per label.
                    "backgroundColor": {"oneOf": [STR, {"type": "array", "items": STR}]},
                    "borderColor": {"oneOf": [STR, {"type": "array", "items": STR}]},
                },
            },
        },
    },
}
STATS = {
    "type": "object",
    "required": [
        "total_logins",
        "total_successful_logins",
        "total_failed_logins",
        "success_rate",
        "last_login",
        "weekly_data",
        "monthly_data",
        "login_trend",
    ],
    "properties": {
        "total_logins": INT,
        "total_successful_logins": INT,
        "total_failed_logins": INT,
        "success_rate": {"type": "number"},
        "last_login": NULLABLE_STR,
        "weekly_data": {"type": "object", "additionalProperties": INT},
        "monthly_data": {"type": "object", "additionalProperties": INT},
        "login_trend": INT,
    },
}
ACTIVITY = {
    "type": "object",
    "properties": {
        "id": INT,
        "username": NULLABLE_STR,
        "timestamp": STR,
        "ip_address": STR,
        "user_agent": STR,
        "success": BOOL,
        "method": STR,
        "reason": STR,
        "device": STR,
    },
}
USER_SUMMARY = {
    "type": "object",
    "required": ["id", "username", "email", "image"],
    "properties": {"id": INT, "username": STR, "email": STR, "image": NULLABLE_STR},
}


def _page(item: dict) -> dict:
    return {
        "type": "object",
        "required": ["count", "next", "previous", "results"],
        "properties": {
            "count": INT,
            "next": NULLABLE_STR,
            "previous": NULLABLE_STR,
            "results": {"type": "array", "items": item},
        },
    }


SCHEMAS: dict[str, dict] = {
    "Error": {"type": "object", "additionalProperties": True},
    "FieldErrors": {"type": "object", "additionalProperties": True},
    "Unauthorized": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"const": "Token is invalid or expired"}},
    },
    "Forbidden": {"type": "object", "additionalProperties": True},
    "RateLimited": {
        "type": "object",
        "required": ["detail", "retry_after"],
        "properties": {"detail": STR, "retry_after": INT},
    },
    "Message": {"type": "object", "required": ["message"], "properties": {"message": STR}},
    "PublicKey": {"type": "object", "required": ["public_key"], "properties": {"public_key": STR}},
    "Login": {
        "type": "object",
        "properties": {"email": STR, "password": STR, "encrypted_password": STR},
    },
    "Tokens": {
        "type": "object",
        "required": ["access", "refresh", "id", "email", "active_role"],
        "properties": {
            "access": STR,
            "refresh": STR,
            "id": INT,
            "username": STR,
            "email": STR,
            "email_verified": BOOL,
            "is_staff": BOOL,
            "is_superuser": BOOL,
            "staff_access_granted": BOOL,
            "logins_remaining_for_staff": INT,
            "active_role": STR,
            "role_label": STR,
        },
    },
    "TokenPair": {
        "type": "object",
        "required": ["access", "refresh"],
        "properties": {"access": STR, "refresh": STR},
    },
    "Refresh": {"type": "object", "properties": {"refresh": STR}},
    "Register": {
        "type": "object",
        "properties": {
            "username": STR,
            "email": STR,
            "password": STR,
            "passwordRepeat": STR,
            "utm_source": STR,
            "utm_medium": STR,
            "utm_campaign": STR,
            "referrer": STR,
            "captcha": STR,
        },
    },
    "VerifyEmail": {"type": "object", "properties": {"email": STR, "token": STR}},
    "Email": {"type": "object", "properties": {"email": STR}},
    "NewPassword": {"type": "object", "properties": {"password": STR, "passwordRepeat": STR}},
    "SwitchRole": {
        "type": "object",
        "properties": {"role": {"enum": ["regular", "staff", "superuser"]}},
    },
    "ActiveRole": {
        "type": "object",
        "required": ["active_role", "role_label"],
        "properties": {"active_role": STR, "role_label": STR},
    },
    "UserSummary": USER_SUMMARY,
    "UserUpdate": {
        "type": "object",
        "properties": {
            "username": STR,
            "full_name": NULLABLE_STR,
            "image": NULLABLE_STR,
            "language": NULLABLE_STR,
            "password": STR,
            "passwordRepeat": STR,
        },
    },
    "UserPage": _page(
        {**USER_SUMMARY, "properties": {**USER_SUMMARY["properties"], "is_admin": BOOL}}
    ),
    "Stats": STATS,
    "ActivityPage": _page(ACTIVITY),
    "Trends": {
        "type": "object",
        "required": ["login_trends"],
        "properties": {"login_trends": CHART},
    },
    "Comparison": {
        "type": "object",
        "required": ["login_comparison"],
        "properties": {"login_comparison": CHART},
    },
    "Distribution": {
        "type": "object",
        "required": ["login_distribution"],
        "properties": {
            "login_distribution": {
                "type": "object",
                "properties": {
                    k: CHART for k in ("success_ratio", "user_agents", "hour_of_day", "day_of_week")
                },
            }
        },
    },
    "AdminDashboard": {
        "type": "object",
        "required": [
            "total_users",
            "total_logins",
            "total_successful_logins",
            "total_failed_logins",
            "login_activity",
            "user_growth",
        ],
        "properties": {
            "total_users": INT,
            "total_logins": INT,
            "total_successful_logins": INT,
            "total_failed_logins": INT,
            "login_activity": {"type": "array", "items": ACTIVITY},
            "user_growth": {"type": "object", "additionalProperties": INT},
        },
    },
    "AdminCharts": {
        "type": "object",
        "required": ["admin_charts"],
        "properties": {
            "admin_charts": {
                "type": "object",
                "properties": {
                    k: CHART for k in ("user_growth", "login_activity", "success_ratio")
                },
            }
        },
    },
    "Acquisition": {
        "type": "object",
        "required": ["sources", "verified_ratio"],
        "properties": {"sources": CHART, "verified_ratio": CHART},
    },
    "BatchStats": {"type": "object", "additionalProperties": STATS},
    "OpenAPI": {"type": "object", "required": ["openapi", "paths"]},
    "Health": {"type": "object", "required": ["status"], "properties": {"status": STR}},
}

DATES = [
    {
        "name": "start_date",
        "in": "query",
        "schema": STR,
        "description": "YYYY-MM-DD, viewer's zone",
    },
    {"name": "end_date", "in": "query", "schema": STR, "description": "YYYY-MM-DD, inclusive"},
]
PAGING = [
    {"name": "page", "in": "query", "schema": INT},
    {"name": "size", "in": "query", "schema": INT},
]
USER_IDS = [
    {
        "name": "user_ids[]",
        "in": "query",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": INT},
    }
]
ROLE = [{"name": "role", "in": "query", "schema": STR}]
PARAMS = {"dates": DATES, "paging": PAGING, "user_ids": USER_IDS, "role": ROLE}


def doc(
    summary: str,
    *,
    body: str | None = None,
    responses: dict | None = None,
    auth: bool = False,
    params: tuple[str, ...] = (),
    path_params: dict | None = None,
    extra: list[dict] | None = None,
    multipart: bool = False,
):
    """Attach OpenAPI metadata to a view; the schema endpoint reads it."""

    def decorator(view):
        view.api_doc = {
            "summary": summary,
            "body": body,
            "responses": responses or {},
            "auth": auth,
            "params": [p for group in params for p in PARAMS[group]] + (extra or []),
            "path_params": path_params or {},
            "multipart": multipart,
        }
        return view

    return decorator


# One group per area, in the order a reader meets them (paths map to tags in _tag).
TAGS = [
    {"name": "auth", "description": "Tokens, registration, verification, password reset."},
    {"name": "profile", "description": "Your own account."},
    {"name": "users", "description": "Other accounts (staff and admins)."},
    {"name": "analytics", "description": "Sign-in statistics, activity and charts."},
    {"name": "admin", "description": "System-wide analytics (staff and admins)."},
    {"name": "docs", "description": "This document and its viewers."},
    {"name": "health", "description": "Liveness and dependencies."},
]
_TAG_RULES = [
    (r"^/api/user/admin/", "admin"),
    (r"^/api/user/(\{user_id\}/)?dashboard/", "analytics"),
    (r"^/api/user/users/", "users"),
    (r"^/api/user/me/", "profile"),
    (r"^/api/user/", "auth"),
    (r"^/api/health/", "health"),
    (r"^/api/", "docs"),
]
# Views defined elsewhere without @doc, described here so the document is complete.
UNDECORATED = {
    "api.health": {
        "summary": "Health of the app and its dependencies",
        "responses": {200: "Health", 503: "Health"},
    },
}
# The API's shared error answers (API.md, "Transport and authentication").
ERROR_ANSWERS = {
    "400": ("Validation error: a flat {field: [messages]} object, or error/detail", "FieldErrors"),
    "401": ("Token is missing, invalid, expired or revoked", "Unauthorized"),
    "403": ("Authenticated, but not allowed", "Forbidden"),
    "429": ("Rate limited or locked out; see the Retry-After header", "RateLimited"),
}


def build_spec(app) -> dict:
    """Walk the API's routes and describe each documented operation."""
    spec = APISpec(
        title="Doorman API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={
            "description": "Login tracking and authentication API. The contract, with every "
            "error string, is docs/api.md in the repository."
        },
        tags=TAGS,
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.security_scheme(
        "cookie", {"type": "apiKey", "in": "cookie", "name": "access_token_cookie"}
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "api_doc", None)
        if meta is None and rule.endpoint in UNDECORATED:
            meta = doc(**UNDECORATED[rule.endpoint])(lambda: None).api_doc
        if meta is None:
            continue
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
        operations = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = _operation(rule, meta, method)
            operation["tags"] = [_tag(path)]
            _error_answers(operation, meta, method, _rate_limits(view))
            operations[method.lower()] = operation
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _tag(path: str) -> str:
    return next(tag for pattern, tag in _TAG_RULES if re.match(pattern, path))


def _rate_limits(view) -> list[str]:
    """The view's Flask-Limiter limits, as text ("10 per 1 minute")."""
    from flask_limiter.util import get_qualified_name

    from webapp.extensions import limiter

    if view is None or not hasattr(limiter, "limit_manager"):
        return []
    limits = limiter.limit_manager.decorated_limits(get_qualified_name(view))
    return [str(limit.limit) for limit in limits]


def _error_answers(operation: dict, meta: dict, method: str, limits: list[str]) -> None:
    """Add the shared 400/401/403/429 answers wherever they can happen."""
    responses = operation["responses"]
    codes = set()
    if meta["body"] and method in ("POST", "PUT", "PATCH") or operation["parameters"]:
        codes.add("400")
    if meta["auth"]:
        codes.add("401")
        if any(p["in"] == "path" for p in operation["parameters"]) or "403" in responses:
            codes.add("403")
    if limits:
        codes.add("429")
    for code in sorted(codes):
        text, schema = ERROR_ANSWERS[code]
        answer = responses.setdefault(code, _json_answer(text, schema))
        if answer["description"] in ERROR_NAMES:  # a bare schema name: say what it means
            answer["description"] = text
    if limits:
        responses["429"]["description"] += f" (limit: {', '.join(limits)})"
        responses["429"]["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": INT}
        }


def _json_answer(text: str, schema: str) -> dict:
    return {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


ERROR_NAMES = {"Error", "FieldErrors", "Forbidden", "Unauthorized", "RateLimited"}


def _operation(rule, meta: dict, method: str) -> dict:
    parameters = [
        {
            "name": arg,
            "in": "path",
            "required": True,
            "schema": INT if f"<int:{arg}>" in rule.rule else STR,
        }
        for arg in rule.arguments
    ]
    if method == "GET":
        parameters += meta["params"]
    responses = {
        str(code): {
            "description": name,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
        for code, name in meta["responses"].items()
        if name not in (None, "Binary", "Empty", "Html")
    }
    for code, name in meta["responses"].items():
        if name == "Empty":
            responses[str(code)] = {"description": "No content"}
        if name == "Html":
            responses[str(code)] = {"description": "A web page", "content": {"text/html": {}}}
        if name == "Binary":
            responses[str(code)] = {
                "description": "File",
                "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}
                },
            }
    if meta["auth"]:
        responses.setdefault(
            "401",
            {
                "description": "Unauthorized",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Unauthorized"}}
                },
            },
        )
    operation = {
        "summary": meta["summary"],
        "operationId": f"{rule.endpoint}_{method.lower()}",
        "parameters": parameters,
        "responses": responses,
    }
    if meta["auth"]:
        operation["security"] = [{"bearer": []}, {"cookie": []}]
    if meta["body"] and method in ("POST", "PUT", "PATCH"):
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{meta['body']}"}}}
        if meta["multipart"]:
            content["multipart/form-data"] = {"schema": {"type": "object"}}
        operation["requestBody"] = {"content": content}
    return operation


@bp.route("/schema/")
@doc("This OpenAPI 3 document", responses={200: "OpenAPI"})
def schema():
    """The OpenAPI 3 document."""
    cache = current_app.extensions.setdefault("doorman_openapi", {})
    if "spec" not in cache:
        cache["spec"] = build_spec(current_app)
    return jsonify(cache["spec"])


@bp.route("/docs/")
@doc("Swagger UI (HTML)", responses={200: "Html"})
def swagger_ui():
    """Swagger UI, from the swagger-ui-bundle package (served as static files)."""
    return render_template("api/swagger.html")


@bp.route("/redoc/")
@doc("ReDoc (HTML)", responses={200: "Html"})
def redoc():
    """ReDoc, from the vendored standalone bundle."""
    return render_template("api/redoc.html")
