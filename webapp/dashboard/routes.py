"""Routes of the dashboard blueprint: the personal dashboard and its CSV export."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request, stream_with_context
from flask_login import current_user, login_required

from webapp.dashboard import bp
from webapp.services import alerts, analytics
from webapp.services.analytics import ActivityFilters, AnalyticsError, Scope
from webapp.services.dashboards import personal_dashboard
from webapp.services.spreadsheets import safe_row
from webapp.services.wording import human

CSV_FIELDS = ["time", "outcome", "reason", "method", "ip", "device", "user_agent"]


def _parse_request():
    """Window, filters and page from the query string (AnalyticsError when malformed)."""
    tz = analytics.viewer_timezone(current_user)
    args = request.args
    window = analytics.parse_window(args.get("start_date"), args.get("end_date"), tz)
    filters = ActivityFilters(
        outcome=args.get("outcome") or None,
        reason=args.get("reason") or None,
        method=args.get("method") or None,
    ).validate()
    page = args.get("page", "1")
    if not page.isdigit() or len(page) > 6:
        raise AnalyticsError("page must be a positive whole number.")
    return window, filters, int(page)


@bp.route("/")
@login_required
def index():
    """Your sign-in statistics, charts and activity for a date range."""
    status, error = 200, None
    try:
        window, filters, page = _parse_request()
    except AnalyticsError as exc:
        status, error = 400, human(str(exc))
        tz = analytics.viewer_timezone(current_user)
        window, filters, page = analytics.parse_window(None, None, tz), ActivityFilters(), 1
    data = personal_dashboard(current_user.id, window, filters, page, request.args.get("preset"))
    notices = alerts.pending_notices(current_user.id)
    return render_template(
        "dashboard/index.html",
        window=window,
        filters=filters,
        error=error,
        notices=notices,
        **data,
    ), status


@bp.route("/export.csv")
@login_required
def export_csv():
    """Your activity in the chosen range and filters, as CSV."""
    try:
        window, filters, _page = _parse_request()
    except AnalyticsError as exc:
        return Response(human(str(exc)) + "\n", status=400, mimetype="text/plain")
    rows = analytics.activity_rows(Scope.of(current_user.id), window, filters)
    filename = f"doorman-activity-{window.start.isoformat()}-{window.end.isoformat()}.csv"
    return Response(
        stream_with_context(_csv_lines(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_lines(rows):
    """CSV text, a line at a time, with spreadsheet formula injection neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            safe_row(
                (
                    row["timestamp"].isoformat(),
                    "success" if row["success"] else "failure",
                    row["reason"],
                    row["method"],
                    row["ip"],
                    row["device"],
                    row["user_agent"],
                )
            )
        )
        yield buffer.getvalue()
