"""Exact analytics on fixed data: time zones, DST, empty/single-day/reversed ranges."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.analytics_data import IPHONE, add_attempts, utc
from webapp.services import analytics as an
from webapp.services.analytics import EVERYONE, AnalyticsError, Scope, Window

BERLIN, KOLKATA, KATHMANDU, UTCZ = (
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Asia/Kathmandu"),
    ZoneInfo("UTC"),
)


@pytest.fixture
def users(db, user_factory):
    return [user_factory().id for _ in range(3)]


def win(start, end, tz):
    return Window(date.fromisoformat(start), date.fromisoformat(end), tz)


def test_kolkata_day_boundary_and_hours(users):
    u = users[0]
    add_attempts([(u, utc(2026, 3, 10, 18, 29, 59), True), (u, utc(2026, 3, 10, 18, 30), False)])
    w = win("2026-03-10", "2026-03-11", KOLKATA)
    t = an.trends(Scope.of(u), w)
    assert t == {
        "labels": ["2026-03-10", "2026-03-11"],
        "successes": [1, 0],
        "failures": [0, 1],
    }
    d = an.distribution(Scope.of(u), w)
    assert d["hour_of_day"]["successes"][23] == 1 and d["hour_of_day"]["failures"][0] == 1
    assert sum(d["hour_of_day"]["successes"]) == 1
    assert d["day_of_week"]["successes"][1] == 1  # Tuesday 10 March
    assert d["day_of_week"]["failures"][2] == 1  # Wednesday 11 March
    assert d["heatmap"][1][23] == 1 and d["heatmap"][2][0] == 1
    # The same attempts in UTC both fall on the 10th, at 18:00.
    t = an.trends(Scope.of(u), win("2026-03-10", "2026-03-11", UTCZ))
    assert t["successes"] == [1, 0] and t["failures"] == [1, 0]


def test_kathmandu_quarter_hour_offset(users):
    u = users[0]
    add_attempts([(u, utc(2026, 5, 1, 18, 14, 59), True), (u, utc(2026, 5, 1, 18, 15), True)])
    w = win("2026-05-01", "2026-05-02", KATHMANDU)
    assert an.trends(Scope.of(u), w)["successes"] == [1, 1]
    hours = an.distribution(Scope.of(u), w)["hour_of_day"]["successes"]
    assert hours[23] == 1 and hours[0] == 1
    # A one-day window holds only the first (23:59:59 local).
    assert an.stats(Scope.of(u), win("2026-05-01", "2026-05-01", KATHMANDU))["total"] == 1


def test_berlin_spring_forward(users):
    u = users[0]
    add_attempts(
        [
            (u, utc(2026, 3, 28, 22, 59), True),  # 23:59 CET on the 28th
            (u, utc(2026, 3, 28, 23, 0), True),  # 00:00 CET on the 29th
            (u, utc(2026, 3, 29, 0, 30), True),  # 01:30 CET
            (u, utc(2026, 3, 29, 1, 30), False),  # 03:30 CEST (02:xx does not exist)
            (u, utc(2026, 3, 29, 21, 59), True),  # 23:59 CEST on the 29th (a 23-hour day)
            (u, utc(2026, 3, 29, 22, 0), True),  # 00:00 CEST on the 30th
        ]
    )
    w = win("2026-03-29", "2026-03-29", BERLIN)
    assert an.trends(Scope.of(u), w) == {
        "labels": ["2026-03-29"],
        "successes": [3],
        "failures": [1],
    }
    d = an.distribution(Scope.of(u), w)
    assert d["hour_of_day"]["successes"][:4] == [1, 1, 0, 0]
    assert d["hour_of_day"]["failures"][:4] == [0, 0, 0, 1]
    assert d["hour_of_day"]["successes"][23] == 1


def test_berlin_fall_back(users):
    u = users[0]
    add_attempts(
        [
            (u, utc(2026, 10, 24, 21, 59), True),  # 23:59 CEST on the 24th
            (u, utc(2026, 10, 24, 22, 0), True),  # 00:00 CEST on the 25th
            (u, utc(2026, 10, 25, 0, 30), True),  # 02:30 CEST
            (u, utc(2026, 10, 25, 1, 30), False),  # 02:30 CET, the second time round
            (u, utc(2026, 10, 25, 22, 59), True),  # 23:59 CET on the 25th (a 25-hour day)
            (u, utc(2026, 10, 25, 23, 0), True),  # 00:00 CET on the 26th
        ]
    )
    w = win("2026-10-25", "2026-10-25", BERLIN)
    assert an.trends(Scope.of(u), w)["successes"] == [3]
    assert an.trends(Scope.of(u), w)["failures"] == [1]
    d = an.distribution(Scope.of(u), w)
    assert d["hour_of_day"]["successes"][2] == 1 and d["hour_of_day"]["failures"][2] == 1
    assert d["hour_of_day"]["successes"][0] == 1 and d["hour_of_day"]["successes"][23] == 1


def test_empty_range(users):
    w = win("2026-01-01", "2026-01-07", UTCZ)
    s = an.stats(Scope.of(users[0]), w, now=datetime(2026, 1, 8))
    assert s["total"] == s["successful"] == s["failed"] == 0
    assert s["success_rate"] == 0.0 and s["last_login"] is None and s["trend"] == 0
    assert s["weekly"] == {"2026-W01": 0, "2026-W02": 0}
    assert s["monthly"] == {"2026-01": 0}
    t = an.trends(Scope.of(users[0]), w)
    assert len(t["labels"]) == 7 and t["successes"] == [0] * 7
    d = an.distribution(Scope.of(users[0]), w)
    assert d["browsers"] == [] and d["os"] == [] and d["device_types"] == []
    assert d["success_ratio"] == {"successful": 0, "failed": 0}
    page = an.activity(Scope.of(users[0]), w)
    assert page.items == [] and page.count == 0 and page.pages == 1


def test_stats_exact(users):
    u = users[0]
    add_attempts(
        [(u, utc(2026, 2, d, 10), True) for d in (2, 3, 4)]  # first half of 2..8 Feb: 3 days
        + [(u, utc(2026, 2, d, 10), True) for d in (6, 7, 7, 8)]
        + [(u, utc(2026, 2, 5, 10), False), (u, utc(2026, 2, 8, 11), False)]
        + [(u, utc(2026, 2, 9, 9), True)]  # outside the window
    )
    w = win("2026-02-02", "2026-02-08", UTCZ)  # 7 days: first half 3 days, second 4
    s = an.stats(Scope.of(u), w, now=datetime(2026, 2, 10, 12))
    assert (s["total"], s["successful"], s["failed"]) == (9, 7, 2)
    assert s["success_rate"] == 77.8
    assert s["last_login"] == datetime(2026, 2, 8, 10, tzinfo=UTCZ)
    assert s["weekly"] == {"2026-W06": 7}
    assert s["monthly"] == {"2026-02": 7}
    assert s["trend"] == 33  # 3 -> 4: +33.3 truncated
    # this week (Mon 9 Feb ..) and this month (1 Feb ..) as of 10 Feb, whatever the window
    assert s["this_week"] == 1 and s["this_month"] == 10


def test_trend_rules():
    assert an.trend_percent(0, 0) == 0
    assert an.trend_percent(0, 5) == 100
    assert an.trend_percent(4, 3) == -25
    assert an.trend_percent(3, 1) == -66  # -66.7 truncated toward zero
    assert an.trend_percent(3, 4) == 33


def test_default_window_trend_is_last_30_days_vs_30_before(users):
    u = users[0]
    now = datetime(2026, 6, 30, 12)
    add_attempts([(u, utc(2026, 5, 10, 9), True), (u, utc(2026, 5, 11, 9), True)])
    add_attempts([(u, utc(2026, 6, 20, 9), True)])
    w = an.parse_window(None, None, UTCZ, now=now)
    assert (w.start, w.end, w.explicit) == (date(2026, 6, 1), date(2026, 6, 30), False)
    assert an.stats(Scope.of(u), w, now=now)["trend"] == -50


def test_comparison_weekly_and_monthly(users):
    u = users[0]
    add_attempts(
        [
            (u, utc(2026, 4, 1, 8), True),
            (u, utc(2026, 4, 6, 8), True),
            (u, utc(2026, 4, 6, 9), False),
            (u, utc(2026, 3, 20, 8), True),  # previous period of the 14-day window
        ]
    )
    w = win("2026-03-30", "2026-04-12", UTCZ)  # Monday to Sunday, 2 weeks
    c = an.comparison(Scope.of(u), w)
    assert c["granularity"] == "week"
    assert c["labels"] == ["2026-03-30", "2026-04-06"]
    assert c["successes"] == [1, 1] and c["failures"] == [0, 1]
    assert c["current"] == {"successes": 2, "failures": 1, "total": 3}
    assert c["previous"] == {"successes": 1, "failures": 0, "total": 1}
    assert c["previous_start"] == "2026-03-16" and c["previous_end"] == "2026-03-29"
    assert c["delta"]["total"] == {"change": 2, "percent": 200}
    m = an.comparison(Scope.of(u), win("2026-03-01", "2026-04-30", UTCZ))
    assert m["granularity"] == "month" and m["labels"] == ["2026-03", "2026-04"]
    assert m["successes"] == [1, 2]


def test_scopes_sum_users_and_everyone_includes_unknown_emails(users):
    a, b, c = users
    add_attempts(
        [
            (a, utc(2026, 7, 1, 10), True),
            (b, utc(2026, 7, 1, 10, 5), False),
            (c, utc(2026, 7, 1, 11), True),
            (None, utc(2026, 7, 1, 10, 7), False),
        ]
    )
    w = win("2026-07-01", "2026-07-01", UTCZ)
    assert an.stats(Scope.of(a, b), w)["total"] == 2
    assert an.stats(EVERYONE, w)["total"] == 4
    assert an.stats(EVERYONE, w)["failed"] == 2
    assert an.activity(EVERYONE, w).count == 4


def test_user_agents(users):
    u = users[0]
    add_attempts(
        [
            (u, utc(2026, 8, 1, 10), True),
            (u, utc(2026, 8, 1, 11), True, IPHONE),
            (u, utc(2026, 8, 1, 12), False, IPHONE),
            (u, utc(2026, 8, 1, 13), False, ""),
        ]
    )
    d = an.distribution(Scope.of(u), win("2026-08-01", "2026-08-01", UTCZ))
    assert d["browsers"] == [("Mobile Safari", 2), ("Firefox", 1), ("Unknown", 1)]
    assert d["os"] == [("iOS", 2), ("Linux", 1), ("Unknown", 1)]
    assert d["device_types"] == [("mobile", 2), ("desktop", 1), ("other", 1)]


def test_activity_filters_and_pages(users):
    u = users[0]
    add_attempts(
        [(u, utc(2026, 9, 1, 10, m), m % 3 != 0) for m in range(30)]
        + [(u, utc(2026, 9, 1, 11), False, "", "locked")]
    )
    w = win("2026-09-01", "2026-09-01", KOLKATA)
    page = an.activity(Scope.of(u), w, page=1, size=10)
    assert page.count == 31 and page.pages == 4 and len(page.items) == 10
    assert page.items[0]["reason"] == "locked"
    assert page.items[0]["timestamp"].isoformat() == "2026-09-01T16:30:00+05:30"
    last = an.activity(Scope.of(u), w, page=99, size=10)
    assert last.page == 4 and len(last.items) == 1
    failures = an.activity(Scope.of(u), w, an.ActivityFilters(outcome="failure"))
    assert failures.count == 11
    locked = an.activity(Scope.of(u), w, an.ActivityFilters(reason="locked"))
    assert locked.count == 1
    assert an.activity(Scope.of(u), w, size=1000).size == 100
    with pytest.raises(AnalyticsError):
        an.activity(Scope.of(u), w, an.ActivityFilters(outcome="maybe"))
    with pytest.raises(AnalyticsError):
        an.activity(Scope.of(u), w, an.ActivityFilters(reason="x' OR 1=1"))
    rows = list(an.activity_rows(Scope.of(u), w, an.ActivityFilters(outcome="success")))
    assert len(rows) == 20


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("2026-13-01", None, an.DATE_FORMAT_ERROR),
        ("2026/01/01", None, an.DATE_FORMAT_ERROR),
        ("20260101", None, an.DATE_FORMAT_ERROR),
        (" 2026-01-01", None, an.DATE_FORMAT_ERROR),
        (None, "2026-02-30", an.DATE_FORMAT_ERROR),
        ("2026-03-02", "2026-03-01", an.REVERSED_ERROR),
        ("1971-01-01", "2026-01-01", "at most"),
        ("1900-01-01", "2026-01-01", an.DATE_FORMAT_ERROR),
    ],
)
def test_bad_windows(app, start, end, message):
    with app.app_context(), pytest.raises(AnalyticsError, match=message.replace(".", r"\.")):
        an.parse_window(start, end, UTCZ)


def test_window_parsing(app):
    now = datetime(2026, 11, 21, 20, 0)
    with app.app_context():
        w = an.parse_window("2026-11-01", None, KOLKATA, now=now)
        assert (w.start, w.end) == (date(2026, 11, 1), date(2026, 11, 22))  # already 22nd there
        w = an.parse_window(None, "2026-11-10", UTCZ, now=now)
        assert (w.start, w.end) == (date(2026, 10, 12), date(2026, 11, 10))
        single = an.parse_window("2026-11-05", "2026-11-05", UTCZ)
        assert single.days == 1
        assert single.utc_bounds() == (datetime(2026, 11, 5), datetime(2026, 11, 6))
        assert an.resolve_timezone("Not/AZone").key == "UTC"


@pytest.mark.parametrize(("explicit", "crowd"), [(True, 0), (False, 0), (True, 1200)])
def test_batch_full_stats_equal_per_user_stats(users, explicit, crowd):
    """crowd adds that many accounts to the selection: past 1,000 keys the rollup is read
    through long literal id lists (in chunks on MariaDB)."""
    from sqlalchemy import insert, select

    from webapp.extensions import db
    from webapp.models import User

    now = datetime(2026, 6, 30, 12)
    if crowd:
        db.session.execute(
            insert(User),
            [
                {"username": f"crowd{n}", "email": f"crowd{n}@example.com", "role": "user"}
                for n in range(crowd)
            ],
        )
        db.session.commit()
        extra = list(db.session.execute(select(User.id).where(User.id.not_in(users))).scalars())
        users = users + extra
        add_attempts([(uid, utc(2026, 6, 20, 8), True) for uid in extra[-3:]])
    add_attempts(
        [(users[0], utc(2026, 6, d, 9), d % 3 != 0) for d in range(1, 30)]
        + [(users[1], utc(2026, 5, d, 22), True) for d in range(5, 25)]
        + [(users[1], utc(2026, 6, 12, 23, 50), False)]
    )
    if explicit:
        window = an.parse_window("2026-06-03", "2026-06-29", KOLKATA, now=now)
    else:
        window = an.parse_window(None, None, KOLKATA, now=now)
    batch = an.batch_full_stats(an.user_selection(user_ids=users), window)
    keys = (
        "total",
        "successful",
        "failed",
        "success_rate",
        "last_login",
        "weekly",
        "monthly",
        "trend",
    )
    assert len(batch) == len(users)
    for uid in users[:3] + users[-4:]:
        single = an.stats(Scope.of(uid), window, now=now)
        assert {k: batch[uid][k] for k in keys} == {k: single[k] for k in keys}
    if crowd:
        assert batch[users[-1]]["successful"] == 1 and batch[users[-4]]["total"] == 0


@pytest.mark.parametrize(
    ("zone", "start", "end", "expected"),
    [
        # Berlin springs forward at 01:00 UTC on 29 March and falls back on 25 October.
        (BERLIN, "2026-03-28", "2026-03-30", [(datetime(2026, 3, 29, 1, 0), 60)]),
        (BERLIN, "2026-10-24", "2026-10-26", [(datetime(2026, 10, 25, 1, 0), -60)]),
        (
            BERLIN,
            "2026-03-01",
            "2026-11-30",
            [(datetime(2026, 3, 29, 1, 0), 60), (datetime(2026, 10, 25, 1, 0), 0)],
        ),
        # Lord Howe moves by half an hour (02:00 local, 15:00 UTC the day before).
        (
            ZoneInfo("Australia/Lord_Howe"),
            "2026-10-03",
            "2026-10-05",
            [(datetime(2026, 10, 3, 15, 30), 30)],
        ),
        (KATHMANDU, "2026-01-01", "2026-12-31", []),
    ],
)
def test_offset_changes_are_found_to_the_quarter(zone, start, end, expected):
    window = win(start, end, zone)
    assert list(an.offset_changes(zone, *window.utc_bounds())) == expected


def test_device_pieces_tile_the_window_with_the_longest_aligned_spans():
    from datetime import timedelta

    from webapp.services.tracking import DEVICE_SPANS, device_pieces

    for zone in (UTCZ, KATHMANDU, BERLIN, ZoneInfo("Australia/Lord_Howe")):
        for days in (1, 2, 30, 90):
            start, end = win("2026-03-01", "2026-03-01", zone).utc_bounds()
            end = start + (end - start) * days
            pieces = device_pieces(start, end)
            assert pieces[0][1] == start and pieces[-1][2] == end
            assert all(a[2] == b[1] for a, b in zip(pieces, pieces[1:], strict=False))
            for span, low, high in pieces:
                size = DEVICE_SPANS[span]
                assert low < high and (low - datetime(2000, 1, 1)) % size == timedelta()
                assert (high - low) % size == timedelta()
            # Quarters only for sub-hour edges, hours only for the partial edge days.
            by_span = {
                s: sum((h - lo for sp, lo, h in pieces if sp == s), timedelta()) for s in "qhd"
            }
            assert by_span["q"] < timedelta(hours=2) and by_span["h"] < timedelta(days=2)
