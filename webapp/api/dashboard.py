"""Dashboard and analytics endpoints of the API, on the same services as the web pages."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_jwt_extended import get_current_user
from sqlalchemy import func, select

from webapp.api import bp
from webapp.api.common import NOT_FOUND, PERMISSION_DENIED, ApiError, api_auth, page_args, page_body
from webapp.api.docs import doc
from webapp.extensions import db
from webapp.models import User
from webapp.services import analytics, reports, roles
from webapp.services.analytics import EVERYONE, AnalyticsError, Scope, Window
from webapp.services.charts import FAILURE, NEUTRAL, SUCCESS, chart_data, ratio_data

ROLE_403 = {"error": "Admin permissions required to filter by role."}
IDS_403 = {"error": "Only admin users can specify user IDs."}
CHART_RESPONSES = {400: "Error", 403: "Forbidden"}


def _bad(exc: AnalyticsError):
    return ApiError(400, {"error": str(exc)})


def _window(*, all_time: bool = False, accounts: bool = False) -> Window:
    """The request's window; with all_time, no dates at all means everything recorded
    (charts keep their 30 days)."""
    start, end = request.args.get("start_date"), request.args.get("end_date")
    tz = analytics.viewer_timezone(get_current_user())
    try:
        window = analytics.parse_window(start, end, tz)
    except AnalyticsError as exc:
        raise _bad(exc) from None
    if all_time and not start and not end:
        return analytics.all_time_window(tz, accounts=accounts)
    return window


def _ids_param() -> list[str]:
    return request.args.getlist("user_ids[]") or request.args.getlist("user_ids")


def _subject(user_id: int | None) -> User:
    """The user a per-user route is about: yourself, or anyone for staff (403 before 404)."""
    viewer = get_current_user()
    if user_id is None or user_id == viewer.id:
        return viewer
    if not roles.is_staff(viewer):
        raise ApiError(403, PERMISSION_DENIED)
    user = db.session.get(User, user_id)
    if user is None:
        raise ApiError(404, NOT_FOUND)
    return user


def _iso(moment) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def stats_body(stats: dict) -> dict:
    """The contract's stats object."""
    return {
        "total_logins": stats["total"],
        "total_successful_logins": stats["successful"],
        "total_failed_logins": stats["failed"],
        "success_rate": stats["success_rate"],
        "last_login": _iso(stats["last_login"]),
        "weekly_data": stats["weekly"],
        "monthly_data": stats["monthly"],
        "login_trend": stats["trend"],
    }


@bp.route("/user/dashboard/stats/")
@bp.route("/user/<int(max=2147483647):user_id>/dashboard/stats/")
@api_auth()
@doc(
    "Sign-in statistics",
    auth=True,
    params=("dates",),
    responses={200: "Stats", 400: "Error", 403: "Forbidden", 404: "Error"},
)
def stats(user_id: int | None = None):
    """Totals, success rate, last login, weekly/monthly successes and the trend."""
    subject = _subject(user_id)
    window = _window(all_time=True)
    return jsonify(stats_body(analytics.stats(Scope.of(subject.id), window)))


def activity_item(row: dict, names: dict[int, str]) -> dict:
    """One attempt as the API shows it."""
    return {
        "id": row["id"],
        "username": names.get(row["user_id"]),
        "timestamp": _iso(row["timestamp"]),
        "ip_address": row["ip"],
        "user_agent": row["user_agent"] or "",
        "success": row["success"],
        "method": row["method"],
        "reason": row["reason"],
        "device": row["device"],
    }


def _names(rows: list[dict]) -> dict[int, str]:
    ids = {r["user_id"] for r in rows if r["user_id"]}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


@bp.route("/user/dashboard/login-activity/")
@bp.route("/user/<int(max=2147483647):user_id>/dashboard/login-activity/")
@api_auth()
@doc(
    "Sign-in attempts, newest first",
    auth=True,
    params=("dates", "paging"),
    responses={200: "ActivityPage", 400: "Error", 403: "Forbidden", 404: "Error"},
)
def login_activity(user_id: int | None = None):
    """A page of your (or, for staff, anyone's) attempts."""
    subject = _subject(user_id)
    page, size = page_args(default_size=100)
    window = _window(all_time=True)
    result = analytics.activity(Scope.of(subject.id), window, page=page, size=size)
    names = {subject.id: subject.username}
    items = [activity_item(r, names) for r in result.items]
    return jsonify(page_body(result.count, result.page, result.size, items))


def _chart_scope() -> tuple[Window, Scope, bool]:
    """Window and scope of a chart request, with the errors in the contract's order."""
    window = _window()
    viewer = get_current_user()
    staff = roles.is_staff(viewer)
    role, raw_ids = request.args.get("role"), _ids_param()
    if role and not staff:
        raise ApiError(403, ROLE_403)
    if raw_ids and not staff:
        raise ApiError(403, IDS_403)
    try:
        ids = analytics.parse_user_ids(raw_ids)
        if ids:
            return window, Scope.of(*ids), len(ids) > 1
        if role:
            chosen = [
                u.id for u in db.session.execute(analytics.user_selection(role=role)).scalars()
            ]
            return window, Scope.of(*chosen), len(chosen) > 1
    except AnalyticsError as exc:
        raise _bad(exc) from None
    return window, Scope.of(viewer.id), False


@bp.route("/user/dashboard/charts/trends/")
@api_auth()
@doc(
    "Daily trend",
    auth=True,
    params=("dates", "user_ids", "role"),
    responses={200: "Trends", **CHART_RESPONSES},
)
def chart_trends():
    """Daily successes and failures, zero-filled."""
    window, scope, several = _chart_scope()
    t = analytics.trends(scope, window)
    suffix = " (Combined)" if several else ""
    return jsonify(
        {
            "login_trends": chart_data(
                t["labels"],
                (f"Successful Logins{suffix}", t["successes"], SUCCESS),
                (f"Failed Logins{suffix}", t["failures"], FAILURE),
            )
        }
    )


@bp.route("/user/dashboard/charts/comparison/")
@api_auth()
@doc(
    "Weekly or monthly comparison",
    auth=True,
    params=("dates", "user_ids", "role"),
    responses={200: "Comparison", **CHART_RESPONSES},
)
def chart_comparison():
    """Successful sign-ins per week (up to 31 days) or month."""
    window, scope, _ = _chart_scope()
    c = analytics.comparison(scope, window)
    counts = chart_data(c["labels"], ("Login Count", c["successes"], NEUTRAL))
    return jsonify({"login_comparison": counts})


@bp.route("/user/dashboard/charts/distribution/")
@api_auth()
@doc(
    "Distributions",
    auth=True,
    params=("dates", "user_ids", "role"),
    responses={200: "Distribution", **CHART_RESPONSES},
)
def chart_distribution():
    """Success ratio, user agents, hour of day and weekday (viewer's zone)."""
    window, scope, _ = _chart_scope()
    d = analytics.distribution(scope, window)
    agents = d["browser_os"]
    ratio = d["success_ratio"]
    return jsonify(
        {
            "login_distribution": {
                "success_ratio": ratio_data(ratio["successful"], ratio["failed"]),
                "user_agents": chart_data(
                    [a for a, _ in agents], ("Attempts", [n for _, n in agents], NEUTRAL)
                ),
                "hour_of_day": chart_data(
                    [f"{h:02d}" for h in range(24)],
                    ("Successful", d["hour_of_day"]["successes"], SUCCESS),
                    ("Failed", d["hour_of_day"]["failures"], FAILURE),
                ),
                "day_of_week": chart_data(
                    d["day_of_week"]["labels"],
                    ("Successful", d["day_of_week"]["successes"], SUCCESS),
                    ("Failed", d["day_of_week"]["failures"], FAILURE),
                ),
            }
        }
    )


def _admin_selection():
    """The selected users: me, then user_ids, then role, then filter; None means everyone."""
    viewer = get_current_user()
    args = request.args
    try:
        ids = analytics.parse_user_ids(_ids_param())
        filter_ = args.get("filter", "all")
        if filter_ not in ("all", "admin_only", "regular_users", "me"):
            raise AnalyticsError(
                'Invalid filter. Must be "all", "admin_only", "regular_users" or "me".'
            )
        if args.get("me") == "true" or (not ids and not args.get("role") and filter_ == "me"):
            return analytics.user_selection(me_id=viewer.id)
        if ids:
            return analytics.user_selection(user_ids=ids)
        role = args.get("role") or {"admin_only": "admin", "regular_users": "regular"}.get(filter_)
        return analytics.user_selection(role=role) if role else None
    except AnalyticsError as exc:
        raise _bad(exc) from None


@bp.route("/user/admin/dashboard/")
@api_auth("staff")
@doc(
    "Admin dashboard",
    auth=True,
    params=("dates", "user_ids", "role"),
    extra=[
        {"name": "filter", "in": "query", "schema": {"type": "string"}},
        {"name": "me", "in": "query", "schema": {"type": "string"}},
    ],
    responses={200: "AdminDashboard", 400: "Error", 403: "Forbidden"},
)
def admin_dashboard():
    """Totals for the selected users (or everyone), newest attempts, new users per month."""
    window = _window(all_time=True, accounts=True)
    selection = _admin_selection()
    users_query = selection if selection is not None else select(User)
    total_users = db.session.scalar(select(func.count()).select_from(users_query.subquery()))
    if selection is None:
        scope = EVERYONE
    else:
        scope = Scope.of(*db.session.execute(select(selection.subquery().c.id)).scalars())
    totals = analytics.stats(scope, window)
    recent = analytics.newest_attempts(scope, window, 10)
    names = _names(recent)
    return jsonify(
        {
            "total_users": total_users,
            "total_logins": totals["total"],
            "total_successful_logins": totals["successful"],
            "total_failed_logins": totals["failed"],
            "login_activity": [activity_item(r, names) for r in recent],
            "user_growth": analytics.user_growth(window, selection),
        }
    )


@bp.route("/user/admin/charts/")
@api_auth("staff")
@doc(
    "Admin charts",
    auth=True,
    params=("dates",),
    responses={200: "AdminCharts", 400: "Error", 403: "Forbidden"},
)
def admin_charts():
    """New accounts per month, daily activity and the success ratio, for everyone."""
    window = _window()
    growth = analytics.user_growth(window)
    t = analytics.trends(EVERYONE, window)
    return jsonify(
        {
            "admin_charts": {
                "user_growth": chart_data(
                    list(growth), ("New Users", list(growth.values()), NEUTRAL)
                ),
                "login_activity": chart_data(
                    t["labels"],
                    ("Successful Logins", t["successes"], SUCCESS),
                    ("Failed Logins", t["failures"], FAILURE),
                ),
                "success_ratio": ratio_data(sum(t["successes"]), sum(t["failures"])),
            }
        }
    )


@bp.route("/user/admin/dashboard/users/stats/")
@api_auth("staff")
@doc(
    "Statistics per user",
    auth=True,
    params=("dates", "user_ids"),
    extra=[{"name": "is_active", "in": "query", "schema": {"type": "string"}}],
    responses={200: "BatchStats", 400: "Error", 403: "Forbidden"},
)
def admin_users_stats():
    """{"<id>": stats} for user_ids[] or all active/inactive users, in constant queries."""
    window = _window(all_time=True)
    active = {"true": True, "false": False}.get(request.args.get("is_active", ""))
    if request.args.get("is_active") and active is None:
        raise ApiError(400, {"error": 'is_active must be "true" or "false".'})
    try:
        ids = analytics.parse_user_ids(_ids_param())
    except AnalyticsError as exc:
        raise _bad(exc) from None
    query = analytics.user_selection(user_ids=ids, active=active)
    return jsonify(
        {str(uid): stats_body(s) for uid, s in analytics.batch_full_stats(query, window).items()}
    )


@bp.route("/user/dashboard/report/download/")
@api_auth()
@doc(
    "Excel report",
    auth=True,
    params=("dates", "user_ids", "role"),
    extra=[
        {"name": n, "in": "query", "schema": {"type": "string"}}
        for n in ("mode", "selected_user_id", "filter")
    ],
    responses={200: "Binary", 400: "Error", 403: "Forbidden"},
)
def report_download():
    """An .xlsx report; a regular user only ever gets their own data."""
    window = _window()
    viewer = get_current_user()
    mode = request.args.get("mode", "individual")
    if mode not in ("individual", "grouped"):
        raise ApiError(400, {"error": 'mode must be "individual" or "grouped".'})
    selected = request.args.get("selected_user_id")
    if roles.is_staff(viewer):
        if selected and (not selected.isdigit() or db.session.get(User, int(selected)) is None):
            raise ApiError(400, {"error": analytics.IDS_MISSING_ERROR})
        # A grouped report holds the whole selection; selected_user_id only marks one of it.
        query = _admin_selection()
        if selected and (mode == "individual" or query is None):
            query = analytics.user_selection(user_ids=[int(selected)])
        elif query is None:
            everyone = mode == "grouped"
            query = analytics.user_selection(me_id=None if everyone else viewer.id)
    else:
        asks_others = (
            mode == "grouped"
            or _ids_param()
            or request.args.get("role")
            or request.args.get("filter", "me") not in ("me", "all")
            or (selected and selected != str(viewer.id))
        )
        if asks_others:
            raise ApiError(403, PERMISSION_DENIED)
        query = analytics.user_selection(me_id=viewer.id)
    mark = int(selected) if selected else None
    body = reports.build_report(query.limit(1000), window, grouped=mode == "grouped", selected=mark)
    filename = reports.report_filename(window, mode)
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
