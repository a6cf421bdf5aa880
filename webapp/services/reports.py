"""Excel login reports (openpyxl) for one user or a group, over a date range."""

from __future__ import annotations

import io
from itertools import islice

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from webapp.services import analytics, clock
from webapp.services.analytics import Scope, Window
from webapp.services.spreadsheets import safe_row

ACTIVITY_ROWS_MAX = 50_000
SELECTED_FILL = PatternFill("solid", fgColor="FFF3CD")
# Times are real spreadsheet dates (sortable, filterable), wall clock of the zone in the header.
MINUTES_FORMAT = "yyyy-mm-dd hh:mm"
SECONDS_FORMAT = "yyyy-mm-dd hh:mm:ss"


def report_filename(window: Window, label: str) -> str:
    """login_report_<label>_<start>_<end>.xlsx, safe for a quoted header."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in label)[:40]
    return f"login_report_{safe}_{window.start.isoformat()}_{window.end.isoformat()}.xlsx"


def build_report(
    users_query, window: Window, *, grouped: bool, selected: int | None = None
) -> bytes:
    """Summary per user, daily counts (combined when grouped), and the attempts themselves.

    selected marks one user of the report: its summary row comes first, highlighted.
    """
    stats = analytics.batch_stats(users_query, window)
    ids = list(stats)
    if selected in stats:
        stats = {selected: stats[selected], **stats}
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    _header(
        summary,
        [
            "User ID",
            "Username",
            "Email",
            "Attempts",
            "Successful",
            "Failed",
            "Success rate %",
            f"Last sign-in ({window.tz.key})",
        ],
    )
    for row in stats.values():
        user = row["user"]
        summary.append(
            safe_row(
                [
                    user.id,
                    user.username,
                    user.email,
                    row["total"],
                    row["successful"],
                    row["failed"],
                    row["success_rate"],
                    clock.local_naive(row["last_login"], window.tz),
                ]
            )
        )
        summary.cell(summary.max_row, 8).number_format = MINUTES_FORMAT
        if user.id == selected:
            for cell in summary[summary.max_row]:
                cell.font, cell.fill = Font(bold=True), SELECTED_FILL
    daily = book.create_sheet("Daily")
    if grouped:
        series = analytics.trends(Scope.of(*ids), window) if ids else None
        _header(daily, ["Date", "Successful", "Failed"])
        if series:
            for day, s, f in zip(
                series["labels"], series["successes"], series["failures"], strict=True
            ):
                daily.append([day, s, f])
    else:
        per_user = analytics.trends_by_user(ids, window)
        _header(daily, ["Date", "User ID", "Successful", "Failed"])
        for uid, series in per_user.items():
            for day, s, f in zip(
                series["labels"], series["successes"], series["failures"], strict=True
            ):
                daily.append([day, uid, s, f])
    activity = book.create_sheet("Activity")
    _header(
        activity,
        [
            f"Time ({window.tz.key})",
            "User ID",
            "Email",
            "Outcome",
            "Reason",
            "Method",
            "IP",
            "Device",
        ],
    )
    rows = analytics.activity_rows(Scope.of(*ids), window) if ids else iter(())
    for row in islice(rows, ACTIVITY_ROWS_MAX):
        activity.append(
            safe_row(
                [
                    clock.local_naive(row["timestamp"], window.tz),
                    row["user_id"],
                    row["email"],
                    "success" if row["success"] else "failure",
                    row["reason"],
                    row["method"],
                    row["ip"],
                    row["device"],
                ]
            )
        )
        activity.cell(activity.max_row, 1).number_format = SECONDS_FORMAT
    for sheet in book.worksheets:
        for i, cell in enumerate(sheet[1], start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(12, len(str(cell.value)) + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet, names: list[str]) -> None:
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
