"""Property: for random attempts, rollup-based answers equal a naive pass over the raw rows."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.analytics_data import FIREFOX, IPHONE, add_attempts, clear_attempts
from webapp.services import analytics as an
from webapp.services import failures
from webapp.services.analytics import EVERYONE, Scope, Window
from webapp.services.tracking import ua_facets

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
]
BASE = datetime(2026, 3, 20)  # spans the March DST changes of Europe and North America
SPAN_MINUTES = 20 * 24 * 60

# (method, reason when it failed): every way in, and a password step that led to a second
# one (recorded, counted neither way).
METHODS = [
    ("password", "bad_credentials"),
    ("totp", "bad_code"),
    ("recovery_code", "bad_code"),
    ("email_code", "expired_code"),
    ("sms_code", "replayed_code"),
    ("password", "mfa_required"),
]
attempt = st.tuples(
    st.sampled_from([0, 1, 2, None]),
    st.integers(0, SPAN_MINUTES * 60 - 1),
    st.booleans(),
    st.sampled_from([FIREFOX, IPHONE, ""]),
    st.sampled_from(METHODS),
    st.sampled_from(["192.0.2.1", "192.0.2.2", "2001:db8::1", ""]),
    st.sampled_from(["a@example.com", "b@example.com", "c@example.com", ""]),
)


@pytest.fixture
def people(db, user_factory):
    return [user_factory().id for _ in range(3)]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(attempt, max_size=60),
    zone=st.sampled_from(ZONES),
    first_day=st.integers(0, 18),
    length=st.integers(1, 10),  # past 7 days, whole UTC weeks of the failure rollup too
    who=st.sampled_from(["one", "two", "everyone"]),
)
def test_rollups_equal_naive_aggregation(people, rows, zone, first_day, length, who):
    clear_attempts()
    data = []
    for u, s, ok, ua, (method, failure), ip, email in rows:
        ok = ok and failure != "mfa_required"
        when = BASE + timedelta(seconds=s)
        reason = "ok" if ok else failure
        data.append((people[u] if u is not None else None, when, ok, ua, reason, method, ip, email))
    add_attempts(data)
    tz = ZoneInfo(zone)
    start = date(2026, 3, 20) + timedelta(days=first_day)
    window = Window(start, start + timedelta(days=length - 1), tz)
    scope = {
        "one": Scope.of(people[0]),
        "two": Scope.of(people[0], people[1]),
        "everyone": EVERYONE,
    }[who]

    def included(row):
        user_id, when = row[:2]
        local = when.replace(tzinfo=UTC).astimezone(tz)
        in_scope = scope.everyone or user_id in scope.user_ids
        return in_scope and window.start <= local.date() <= window.end, local

    chosen, listed = [], []
    for row in data:
        keep, local = included(row)
        if keep:
            listed.append(row)
            if row[4] != "mfa_required":  # neither a success nor a failure
                chosen.append((local, row[2], row[3]))

    days = [window.start + timedelta(days=i) for i in range(length)]
    expected_trends = {
        "labels": [d.isoformat() for d in days],
        "successes": [sum(1 for lc, ok, _ in chosen if ok and lc.date() == d) for d in days],
        "failures": [sum(1 for lc, ok, _ in chosen if not ok and lc.date() == d) for d in days],
    }
    assert an.trends(scope, window) == expected_trends

    dist = an.distribution(scope, window)
    assert dist["hour_of_day"]["successes"] == [
        sum(1 for lc, ok, _ in chosen if ok and lc.hour == h) for h in range(24)
    ]
    assert dist["hour_of_day"]["failures"] == [
        sum(1 for lc, ok, _ in chosen if not ok and lc.hour == h) for h in range(24)
    ]
    assert dist["day_of_week"]["successes"] == [
        sum(1 for lc, ok, _ in chosen if ok and lc.weekday() == d) for d in range(7)
    ]
    assert dist["heatmap"] == [
        [sum(1 for lc, _, _ in chosen if lc.weekday() == d and lc.hour == h) for h in range(24)]
        for d in range(7)
    ]
    browsers = Counter(ua_facets(ua)[0] for _, _, ua in chosen)
    assert dict(dist["browsers"]) == dict(browsers)

    stats = an.stats(scope, window, now=datetime(2026, 4, 20))
    assert stats["successful"] == sum(1 for _, ok, _ in chosen if ok)
    assert stats["failed"] == sum(1 for _, ok, _ in chosen if not ok)
    successes = [lc for lc, ok, _ in chosen if ok]
    assert stats["last_login"] == (max(successes) if successes else None)
    assert an.activity(scope, window, size=100).count == len(chosen)
    steps = an.ActivityFilters(reason="mfa_required")
    assert an.activity(scope, window, steps, size=100).count == len(listed) - len(chosen)
    by_method = Counter((r[5], r[2]) for r in listed if r[4] != "mfa_required")
    assert {
        (m["method"], ok): m["successes" if ok else "failures"]
        for m in an.methods(scope, window)
        for ok in (True, False)
        if m["successes" if ok else "failures"]
    } == dict(by_method)

    if who == "everyone":
        # Fewer distinct values than the list's length: every value is a candidate, so the
        # bounded lists are exact here.
        for kind, position in ((failures.IP, 6), (failures.EMAIL, 7)):
            counts = Counter(
                row[position]
                for row in data
                if not row[2] and row[4] != "mfa_required" and row[position] and included(row)[0]
            )
            expected = sorted(counts.items(), key=lambda vn: (-vn[1], vn[0]))
            assert failures.top_failures(window, kind) == expected
