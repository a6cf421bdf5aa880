"""Admin analytics pages (staff and admin): overview, comparison, drill-down, Excel report."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.dashboard import bp
from webapp.extensions import db
from webapp.models import User
from webapp.permissions import role_required
from webapp.services import analytics, blocks, reports, security
from webapp.services.analytics import ActivityFilters, AnalyticsError
from webapp.services.dashboards import acquisition_page, admin_overview, personal_dashboard
from webapp.services.wording import human


def _selection_from(args, *, by_ids: bool = True):
    """Window, chosen ids and the user selection from the query string (see API.md rules).

    by_ids=False: the selection is what the search and filters find, whoever is chosen (the
    page's table, which keeps the search while users are compared).
    """
    window = analytics.parse_window(
        args.get("start_date"), args.get("end_date"), analytics.viewer_timezone(current_user)
    )
    ids = analytics.parse_user_ids(args.getlist("user_ids[]") or args.getlist("user_ids"))
    active = {"active": True, "inactive": False}.get(args.get("batch", ""))
    selection = analytics.user_selection(
        me_id=current_user.id if args.get("me") == "true" else None,
        user_ids=ids if by_ids else None,
        role=args.get("role") or None,
        active=active,
        search=args.get("q") or None,
    )
    return window, ids, selection


@bp.route("/admin/")
@role_required("staff")
def admin_overview_page():
    """System-wide figures, top failing IPs and accounts, lockouts, who is online, comparison."""
    status, error = 200, None
    try:
        window, ids, selection = _selection_from(request.args, by_ids=False)
    except AnalyticsError as exc:
        status, error = 400, human(str(exc))
        window = analytics.parse_window(None, None, analytics.viewer_timezone(current_user))
        ids, selection = [], analytics.user_selection()
    data = admin_overview(
        window,
        selection.limit(1000),
        ids,
        request.args.get("sort", "username"),
        request.args.get("preset"),
    )
    return render_template(
        "dashboard/admin.html", window=window, chosen=ids, error=error, **data
    ), status


@bp.route("/admin/acquisition/")
@role_required("staff")
def admin_acquisition_page():
    """Sign-ups per registration source, with the verified and 7-day shares."""
    status, error = 200, None
    tz = analytics.viewer_timezone(current_user)
    try:
        window = analytics.parse_window(
            request.args.get("start_date"), request.args.get("end_date"), tz
        )
    except AnalyticsError as exc:
        status, error = 400, human(str(exc))
        window = analytics.parse_window(None, None, tz)
    data = acquisition_page(
        window, request.args.get("sort", "-signups"), request.args.get("preset")
    )
    return render_template("dashboard/acquisition.html", window=window, error=error, **data), status


@bp.route("/admin/users/<int(max=2147483647):user_id>/")
@role_required("staff")
def admin_user(user_id: int):
    """Drill-down: one user's dashboard, seen by staff."""
    subject = db.session.get(User, user_id) or abort(404)
    tz = analytics.viewer_timezone(current_user)
    status, error = 200, None
    try:
        window = analytics.parse_window(
            request.args.get("start_date"), request.args.get("end_date"), tz
        )
        filters = ActivityFilters(outcome=request.args.get("outcome") or None).validate()
    except AnalyticsError as exc:
        status, error = 400, human(str(exc))
        window, filters = analytics.parse_window(None, None, tz), ActivityFilters()
    data = personal_dashboard(
        subject.id,
        window,
        filters,
        request.args.get("page", 1, type=int),
        request.args.get("preset"),
    )
    return render_template(
        "dashboard/index.html", window=window, filters=filters, error=error, subject=subject, **data
    ), status


@bp.route("/admin/report.xlsx")
@role_required("staff")
def admin_report():
    """Excel report for the chosen users (or the selection), over the chosen range."""
    try:
        window, ids, selection = _selection_from(request.args)
    except AnalyticsError as exc:
        abort(400, description=str(exc))
    if not ids and request.args.get("me") != "true" and request.args.get("everyone") != "1":
        # Nobody ticked: ask before exporting everyone the search and filters find.
        return render_template(
            "dashboard/report_confirm.html",
            window=window,
            users=analytics.count_users(selection),
            params={k: v for k, v in request.args.lists() if k != "everyone"},
        )
    grouped = request.args.get("mode", "individual") == "grouped"
    label = "grouped" if grouped else (f"user_{ids[0]}" if len(ids) == 1 else "users")
    body = reports.build_report(selection.limit(1000), window, grouped=grouped)
    filename = reports.report_filename(window, label)
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/admin/security/events/<int(max=2147483647):event_id>/acknowledge", methods=["POST"])
@role_required("admin")
def acknowledge_event(event_id: int):
    """Acknowledge one event of the security feed."""
    if security.acknowledge(event_id) is None:
        abort(404)
    db.session.commit()
    flash(_("Event acknowledged."), "success")
    return redirect(url_for("dashboard.admin_overview_page") + "#security-feed")


@bp.route("/admin/security/blocks", methods=["POST"])
@role_required("admin")
def block_address():
    """Block an IP or CIDR on every sign-in endpoint for some hours."""
    cidr, reason = request.form.get("cidr", ""), request.form.get("reason", "")
    hours = request.form.get("hours", "", type=int)
    errors = blocks.block_errors(cidr, hours, reason)
    if errors:
        flash(" ".join(human(m) for messages in errors.values() for m in messages), "danger")
    else:
        block = blocks.add_block(cidr, hours, reason, current_user)
        db.session.commit()
        flash(
            _("%(cidr)s is blocked for %(hours)s hours.", cidr=block.cidr, hours=hours), "success"
        )
    return redirect(url_for("dashboard.admin_overview_page") + "#security-feed")
