"""The admin page's most-failing IP addresses and emails, read from the failure rollup.

An exact top-N over any window would read one row per failing value and day, which grows
with the attempts (every account's email fails now and then). The lists are bounded instead:
the candidates are the N most-failing values of each UTC week (Monday to Sunday) that touches
the window (one short index step per week), and each candidate's count is then summed exactly
over the window (whole weeks from week rows, the edges from day, hour and quarter rows). A
value that is never among a week's N most-failing is not listed, however many failures its
weeks add up to.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, func, select, union_all

from webapp.extensions import db
from webapp.models import LoginFailureStat
from webapp.models.base import Timestamp
from webapp.services import tracking
from webapp.services.analytics import Window

IP, EMAIL = tracking.IP, tracking.EMAIL
_WEEK = tracking.FAILURE_SPANS[tracking.WEEK]


def top_failures(window: Window, kind: str, limit: int = 10) -> list[tuple[str, int]]:
    """The values of a kind (IP or EMAIL) with the most failures in the window, most first."""
    start, end = window.utc_bounds()
    first = tracking.floor_to(start, _WEEK)
    weeks = [first + i * _WEEK for i in range(-(-(end - first) // _WEEK))]
    params: dict = {"kind": kind}
    for i, week in enumerate(weeks):
        params[f"week{i}"] = week
    statement = _candidates_statement(len(weeks), limit)
    candidates = [v for (v,) in db.session.execute(statement, params)]
    if not candidates:
        return []
    pieces = tracking.device_pieces(start, end, tracking.FAILURE_SPANS)
    params = {"kind": kind, "values": sorted(set(candidates))}
    for i, (_span, low, high) in enumerate(pieces):
        params[f"low{i}"], params[f"high{i}"] = low, high
    statement = _totals_statement(tuple(span for span, _low, _high in pieces))
    totals = [(value, int(n)) for value, n in db.session.execute(statement, params)]
    totals.sort(key=lambda vn: (-vn[1], vn[0]))
    return totals[:limit]


_STAT = LoginFailureStat


@lru_cache(maxsize=256)
def _candidates_statement(weeks: int, limit: int):
    """The N most-failing values of each week (parameters week<i>): an index step per week."""
    per_week = [
        select(_STAT.value)
        .where(
            _STAT.kind == bindparam("kind"),
            _STAT.span == tracking.WEEK,
            _STAT.bucket_start == bindparam(f"week{i}", type_=Timestamp),
        )
        # Both descending, so the (kind, span, bucket_start, failures) index gives the order.
        .order_by(_STAT.failures.desc(), _STAT.value.desc())
        .limit(limit)
        .subquery()
        for i in range(weeks)
    ]
    return union_all(*[select(week.c.value) for week in per_week])


@lru_cache(maxsize=64)
def _totals_statement(spans: tuple[str, ...]):
    """Each candidate's failures over the window's pieces (parameters low<i>, high<i>)."""
    pieces = union_all(
        *[
            select(_STAT.value, _STAT.failures).where(
                _STAT.kind == bindparam("kind"),
                _STAT.span == span,
                _STAT.value.in_(bindparam("values", expanding=True)),
                _STAT.bucket_start >= bindparam(f"low{i}", type_=Timestamp),
                _STAT.bucket_start < bindparam(f"high{i}", type_=Timestamp),
            )
            for i, span in enumerate(spans)
        ]
    ).subquery()
    return select(pieces.c.value, func.sum(pieces.c.failures)).group_by(pieces.c.value)
