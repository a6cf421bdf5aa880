"""Cells for files people open in a spreadsheet: text is shown there, never run as a formula."""

from __future__ import annotations

from typing import Any

# OWASP CSV injection: a cell starting with one of these is a formula to Excel, LibreOffice
# or Google Sheets (openpyxl too writes a string starting with "=" as a formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value for a CSV or XLSX cell: text that would start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list[Any]:
    """safe_cell for every value of a row."""
    return [safe_cell(v) for v in values]
