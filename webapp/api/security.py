"""Security endpoints of the API (API.md, "The user's own security view", "Admin security")."""

from __future__ import annotations

from datetime import UTC

from flask import jsonify, request

from webapp.api import bp
from webapp.api.common import NOT_FOUND, ApiError, api_auth, json_body, me, page_body, paginate
from webapp.api.docs import SCHEMAS, doc
from webapp.extensions import db
from webapp.services import blocks, security
from webapp.services.analytics import viewer_timezone

STR, INT = {"type": "string"}, {"type": "integer"}
EVENT = {
    "type": "object",
    "properties": {
        "id": INT,
        "kind": STR,
        "created_at": STR,
        "ip_address": STR,
        "country": STR,
        "device": STR,
        "details": STR,
    },
}
SCHEMAS.update(
    {
        "SecuritySummary": {
            "type": "object",
            "required": [
                "failed_attempts_7d",
                "locked_until",
                "new_devices_30d",
                "trusted_devices",
                "countries_30d",
            ],
            "properties": {
                "failed_attempts_7d": INT,
                "locked_until": {"type": "string", "nullable": True},
                "new_devices_30d": INT,
                "trusted_devices": INT,
                "countries_30d": {"type": "object", "additionalProperties": INT},
            },
            "additionalProperties": True,
        },
        "SecurityEventPage": {
            "type": "object",
            "properties": {
                "count": INT,
                "next": {"type": "string", "nullable": True},
                "previous": {"type": "string", "nullable": True},
                "results": {"type": "array", "items": EVENT},
            },
        },
        "SecurityEvent": EVENT,
        "IpBlock": {
            "type": "object",
            "properties": {"id": INT, "cidr": STR, "reason": STR, "expires_at": STR},
        },
        "IpBlockRequest": {
            "type": "object",
            "required": ["cidr", "hours"],
            "properties": {"cidr": STR, "hours": INT, "reason": STR},
        },
        "IpBlockList": {"type": "array", "items": {"$ref": "#/components/schemas/IpBlock"}},
    }
)
EVENT_ID = {"event_id": "Security event id"}
BLOCK_ID = {"block_id": "IP block id"}


@bp.route("/user/security/summary/")
@api_auth()
@doc("Your security summary", auth=True, responses={200: "SecuritySummary"})
def security_summary():
    """Failed attempts against your email, lock, new devices, trusted devices, countries."""
    user = me()
    body = security.summary(user)
    until = body["locked_until"]
    tz = viewer_timezone(user)
    body["locked_until"] = until.replace(tzinfo=UTC).astimezone(tz).isoformat() if until else None
    return jsonify(body)


@bp.route("/user/security/events/")
@api_auth()
@doc("Your security events", auth=True, params=("paging",), responses={200: "SecurityEventPage"})
def security_events():
    """Lockouts of your email, attacks against it, new-device sign-ins, factor changes."""
    user = me()
    total, _rows = security.own_events(user, 0, 0)
    page, size, offset = paginate(total)
    _total, rows = security.own_events(user, offset, size)
    tz = viewer_timezone(user)
    return jsonify(page_body(total, page, size, [security.event_dict(e, tz) for e in rows]))


@bp.route("/user/admin/security/events/")
@api_auth("staff")
@doc(
    "Security events of every kind",
    auth=True,
    params=("paging",),
    extra=[
        {"name": "kind", "in": "query", "schema": {"type": "string", "example": "lockout"}},
        {"name": "acknowledged", "in": "query", "schema": {"type": "string"}},
    ],
    responses={200: "SecurityEventPage", 400: "Error", 403: "Forbidden"},
)
def admin_security_events():
    """The admin feed, newest first; filters kind and acknowledged (true|false)."""
    kind = request.args.get("kind") or None
    acknowledged = request.args.get("acknowledged") or None
    try:
        total, _rows = security.feed(kind, acknowledged, 0, 0)
    except security.FeedError as exc:
        raise ApiError(400, {"error": str(exc)}) from None
    page, size, offset = paginate(total)
    _total, rows = security.feed(kind, acknowledged, offset, size)
    tz = viewer_timezone(me())
    return jsonify(page_body(total, page, size, [security.admin_event_dict(e, tz) for e in rows]))


@bp.route(
    "/user/admin/security/events/<int(max=2147483647):event_id>/acknowledge/", methods=["POST"]
)
@api_auth("admin")
@doc(
    "Acknowledge a security event",
    auth=True,
    path_params=EVENT_ID,
    responses={200: "SecurityEvent", 403: "Forbidden", 404: "Error"},
)
def admin_acknowledge_event(event_id: int):
    """Mark an event seen (admins)."""
    event = security.acknowledge(event_id)
    if event is None:
        raise ApiError(404, NOT_FOUND)
    db.session.commit()
    return jsonify(security.admin_event_dict(event, viewer_timezone(me())))


@bp.route("/user/admin/security/ip-blocks/", methods=["GET", "POST"])
@api_auth("admin")
@doc(
    "Blocked addresses (GET lists, POST adds)",
    auth=True,
    body="IpBlockRequest",
    responses={200: "IpBlockList", 201: "IpBlock", 400: "FieldErrors", 403: "Forbidden"},
)
def admin_ip_blocks():
    """Live blocks, newest first; POST {"cidr", "hours", "reason"} blocks for that long."""
    tz = viewer_timezone(me())
    if request.method == "GET":
        return jsonify([_block(b, tz) for b in blocks.live_blocks()])
    data = json_body()
    cidr, hours, reason = data.get("cidr"), data.get("hours"), data.get("reason")
    errors = blocks.block_errors(cidr, hours, reason)
    if errors:
        raise ApiError(400, errors)
    block = blocks.add_block(cidr, hours, reason, me())
    db.session.commit()
    return jsonify(_block(block, tz)), 201


@bp.route("/user/admin/security/ip-blocks/<int(max=2147483647):block_id>/", methods=["DELETE"])
@api_auth("admin")
@doc(
    "Lift a block",
    auth=True,
    path_params=BLOCK_ID,
    responses={204: "Empty", 403: "Forbidden", 404: "Error"},
)
def admin_ip_block(block_id: int):
    """Remove a block now."""
    if not blocks.remove_block(block_id):
        raise ApiError(404, NOT_FOUND)
    db.session.commit()
    return "", 204


def _block(block, tz) -> dict:
    """A block with its times in the viewer's zone."""
    return {
        "id": block.id,
        "cidr": block.cidr,
        "reason": block.reason,
        "created_at": block.created_at.replace(tzinfo=UTC).astimezone(tz).isoformat(),
        "expires_at": block.expires_at.replace(tzinfo=UTC).astimezone(tz).isoformat(),
    }
