"""One clock: stored UTC times shown in the viewer's zone, to the minute, with the zone named."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from tests.helpers import login
from webapp.models import LoginAttempt, SecurityEvent, User, UserSession
from webapp.services.clock import when

STORED = datetime(2025, 1, 15, 8, 14, 27, 123456)  # naive UTC, as every row keeps it
DAY = "start_date=2025-01-15&end_date=2025-01-15"


def set_zone(db, user: User, zone: str) -> None:
    db.session.execute(update(User).where(User.id == user.id).values(timezone=zone))
    db.session.commit()


@pytest.mark.parametrize(
    "zone, shown",
    [
        ("Europe/Berlin", "15 Jan 2025, 09:14 CET"),
        ("UTC", "15 Jan 2025, 08:14 UTC"),
        ("America/New_York", "15 Jan 2025, 03:14 EST"),
        ("Asia/Kathmandu", "15 Jan 2025, 13:59 UTC+05:45"),
    ],
)
def test_when_names_the_zone_and_drops_seconds(app, zone, shown):
    with app.test_request_context():
        assert when(STORED, zone) == shown
        assert when(None) == ""


def test_the_sessions_page_shows_the_users_zone(client, db, user_factory):
    user = user_factory()
    set_zone(db, user, "Europe/Berlin")
    login(client, user.email)
    db.session.execute(update(UserSession).values(created_at=STORED))  # last seen: now
    db.session.commit()
    html = client.get("/account/sessions").get_data(as_text=True)
    assert '<td class="text-nowrap">15 Jan 2025, 09:14 CET</td>' in html
    assert "(UTC)" not in html and "08:14" not in html


def test_admin_lockouts_are_in_the_admins_zone_with_the_year(client, db, user_factory):
    admin = user_factory(role="admin")
    set_zone(db, admin, "America/New_York")
    login(client, admin.email)
    db.session.add(SecurityEvent(kind="lockout", email="victim@example.com", created_at=STORED))
    db.session.commit()
    html = client.get(f"/dashboard/admin/?{DAY}").get_data(as_text=True)
    assert 'victim@example.com</td><td class="text-nowrap small">15 Jan 2025, 03:14 EST' in html


def attempt_at(moment: datetime, user_id: int | None = None) -> LoginAttempt:
    return LoginAttempt(
        user_id=user_id,
        email_tried="who@example.com",
        success=False,
        method="password",
        reason="bad_credentials",
        ip="192.0.2.1",
        user_agent="test",
        created_at=moment,
    )


def test_excel_times_are_dates_in_the_viewers_zone(client, db, user_factory):
    admin, user = user_factory(role="admin"), user_factory()
    set_zone(db, admin, "Europe/Berlin")
    login(client, admin.email)
    db.session.add(attempt_at(STORED, user.id))
    db.session.commit()
    r = client.get(f"/dashboard/admin/report.xlsx?{DAY}&user_ids[]={user.id}")
    book = load_workbook(io.BytesIO(r.data))
    sheet = book["Activity"]
    assert sheet["A1"].value == "Time (Europe/Berlin)"
    assert sheet["A2"].value == datetime(2025, 1, 15, 9, 14, 27)
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert book["Summary"]["H1"].value == "Last sign-in (Europe/Berlin)"


def test_flask_admin_lists_and_details_have_no_microseconds(client, db, user_factory):
    admin = user_factory(role="admin")
    set_zone(db, admin, "Asia/Kolkata")
    login(client, admin.email)
    attempt = attempt_at(STORED)
    db.session.add(attempt)
    db.session.commit()
    listed = client.get("/admin/admin_attempts/").get_data(as_text=True)
    assert '<span title="2025-01-15 08:14:27 UTC">15 Jan 2025, 13:44 IST</span>' in listed
    assert "123456" not in listed
    detail = client.get(f"/admin/admin_attempts/details/?id={attempt.id}").get_data(as_text=True)
    assert "15 Jan 2025, 13:44 IST" in detail and "123456" not in detail


def test_the_security_page_uses_the_same_clock(client, db, user_factory):
    user = user_factory()
    set_zone(db, user, "Europe/Berlin")
    login(client, user.email)
    db.session.add(
        SecurityEvent(kind="lockout", user_id=user.id, email=user.email, created_at=STORED)
    )
    db.session.commit()
    html = client.get("/account/security").get_data(as_text=True)
    assert "15 Jan 2025, 09:14 CET" in html


def test_an_admin_reads_a_users_sign_ins_in_the_admins_own_zone(client, db, user_factory):
    admin, user = user_factory(role="admin"), user_factory()
    set_zone(db, admin, "America/New_York")
    set_zone(db, user, "Asia/Tokyo")
    login(client, admin.email)
    db.session.add(attempt_at(STORED, user.id))
    db.session.commit()
    html = client.get(f"/dashboard/admin/users/{user.id}/?{DAY}").get_data(as_text=True)
    assert "times in America/New_York (your zone, not theirs)" in html
    assert "15 Jan 2025, 03:14:27 EST" in html and "Tokyo" not in html
