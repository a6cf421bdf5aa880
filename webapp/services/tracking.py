"""Login attempt recording: one row per attempt, plus the 15-minute rollups."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, case, delete, func, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webapp.extensions import db
from webapp.models import (
    LoginAttempt,
    LoginCountryStat,
    LoginDeviceStat,
    LoginFailureStat,
    LoginStat,
    User,
    utcnow,
)
from webapp.models.login_attempt import (
    BUCKET_SECONDS,
    EVERYONE_KEY,
    EVERYONE_SHARDS,
    NO_ACCOUNT_KEY,
)
from webapp.services import geo

EMAIL_MAX = 254
CHUNK = 5000
# Spans of the device rollup, longest first: a window reads whole days from the day rows,
# whole hours at its edges from the hour rows, and only sub-hour edges from the quarters.
DAY, HOUR, QUARTER = "d", "h", "q"
BUCKET = timedelta(seconds=BUCKET_SECONDS)  # every rollup bucket; time-zone offsets fall on these
DEVICE_SPANS = {DAY: timedelta(days=1), HOUR: timedelta(hours=1), QUARTER: BUCKET}
# Kinds of the failure rollup: the IP address, and the email tried. Its spans add UTC weeks
# (Monday to Sunday, as _EPOCH is a Monday): a long window reads a value's weeks, not its days.
IP, EMAIL = "i", "e"
WEEK = "w"
FAILURE_SPANS = {WEEK: timedelta(days=7), **DEVICE_SPANS}
_EPOCH = datetime(2000, 1, 3)  # a Monday midnight: floors to weeks, days and hours line up with it


def floor_to(moment: datetime, size: timedelta) -> datetime:
    """The start of the span of a given length (day, hour, quarter) that holds a moment."""
    return moment - (moment - _EPOCH) % size


def device_pieces(
    start: datetime, end: datetime, spans_by_name: dict[str, timedelta] = DEVICE_SPANS
) -> list[tuple[str, datetime, datetime]]:
    """Cover [start, end) with the fewest rollup spans (longest first, device spans by
    default): (span, low, high) pieces."""
    pieces: list[tuple[str, datetime, datetime]] = []
    spans = list(spans_by_name.items())

    def cover(low: datetime, high: datetime, level: int) -> None:
        if low >= high:
            return
        span, size = spans[level]
        if level == len(spans) - 1:
            pieces.append((span, low, high))
            return
        first = floor_to(low, size) + (size if floor_to(low, size) < low else timedelta())
        last = floor_to(high, size)
        if first >= last:
            cover(low, high, level + 1)
            return
        cover(low, first, level + 1)
        pieces.append((span, first, last))
        cover(last, high, level + 1)

    cover(start, end, 0)
    return pieces


@dataclass
class AttemptContext:
    """What one login request is: captured before the view, completed by the pipeline."""

    ip: str
    user_agent: str
    method: str = "password"
    email: str = ""
    user_id: int | None = None
    success: bool = False
    reason: str | None = None
    session_id: str | None = None
    started_at: datetime = field(default_factory=utcnow)
    trusted_browser: str | None = None  # the cookie of a browser that skips the second factor
    recorded: bool = False  # the row was added to the session
    committed: bool = False  # ... and that transaction committed

    def finish(self, reason: str, *, user: User | None = None, success: bool = False) -> None:
        """Set the outcome; the request hook writes the row."""
        self.reason = reason
        self.success = success
        if user is not None:
            self.user_id = user.id


@lru_cache(maxsize=4096)
def ua_facets(user_agent: str) -> tuple[str, str, str]:
    """(browser family, OS family, device type) parsed from a user agent string."""
    if not user_agent:
        return ("Unknown", "Unknown", "other")
    from user_agents import parse

    ua = parse(user_agent)
    kind = (
        "bot"
        if ua.is_bot
        else "mobile"
        if ua.is_mobile
        else "tablet"
        if ua.is_tablet
        else "desktop"
        if ua.is_pc
        else "other"
    )
    browser = ua.browser.family if ua.browser.family != "Other" else "Unknown"
    os_name = ua.os.family if ua.os.family != "Other" else "Unknown"
    return (browser[:40], os_name[:40], kind)


@lru_cache(maxsize=4096)
def device_label(user_agent: str) -> str:
    """Short 'Browser on OS' label parsed from a user agent string."""
    if not user_agent:
        return "Unknown device"
    from user_agents import parse

    ua = parse(user_agent)
    if ua.is_bot:
        return f"Bot ({ua.browser.family})"[:120]
    browser = " ".join(x for x in (ua.browser.family, ua.browser.version_string.split(".")[0]) if x)
    os_name = " ".join(x for x in (ua.os.family, ua.os.version_string) if x)
    kind = "Mobile" if ua.is_mobile else "Tablet" if ua.is_tablet else ""
    label = f"{browser} on {os_name}" + (f" ({kind})" if kind else "")
    return label.replace("Other on Other", "Unknown device")[:120]


def bucket_of(moment: datetime) -> datetime:
    """The UTC 15-minute bucket a naive-UTC moment falls in."""
    return floor_to(moment, BUCKET)


def everyone_shards() -> int:
    """How many shards everyone's rollup rows have on this database (see EVERYONE_SHARDS)."""
    return 1 if db.session.get_bind().dialect.name == "sqlite" else EVERYONE_SHARDS


class RollupBatch:
    """Rollup increments for many attempts, written with a few upserts.

    Every attempt counts for its user (or the no-account key) and for everyone, in the shard
    of everyone's rows its moment picks (always 0 on SQLite), and so does its country; a
    failure also counts for its IP address and the email tried.
    """

    def __init__(self) -> None:
        self.shards = everyone_shards()
        self.now = utcnow()
        # (key, bucket, shard) -> [successes, failures, newest success or None]
        self.stats: dict[tuple[int, datetime, int], list] = defaultdict(lambda: [0, 0, None])
        self.devices: dict[tuple, int] = defaultdict(int)
        self.failures: dict[tuple, int] = defaultdict(int)  # (kind, span, bucket, value)
        self.countries = geo.new_cells()

    def add(
        self,
        user_id: int | None,
        when: datetime,
        success: bool,
        user_agent: str,
        *,
        ip: str = "",
        email: str = "",
    ) -> None:
        """Count one attempt (ip and email as the attempt row stores them)."""
        bucket, day, country = bucket_of(when), geo.day_of(when), geo.country_of(ip)
        facets = ua_facets(user_agent or "")
        starts = [(span, floor_to(bucket, size)) for span, size in DEVICE_SPANS.items()]
        if not success:
            self.count_failure(bucket, ip=ip, email=email)
        spread = when.microsecond % self.shards
        for key in (user_id or NO_ACCOUNT_KEY, EVERYONE_KEY):
            shared = key == EVERYONE_KEY
            cell = self.stats[(key, bucket, self._shard(shared, spread, bucket, BUCKET))]
            cell[0 if success else 1] += 1
            if success and (cell[2] is None or when > cell[2]):
                cell[2] = when
            for span, begins in starts:
                shard = self._shard(shared, spread, begins, DEVICE_SPANS[span])
                self.devices[(key, span, begins, *facets, shard)] += 1
            shard = self._shard(shared, spread, day, DEVICE_SPANS[DAY])
            self.countries[(key, day, country, shard)][0 if success else 1] += 1

    def _shard(self, shared: bool, spread: int, begins: datetime, size: timedelta) -> int:
        """Everyone's rows of a span still open are spread over the shards; a closed span's
        go to shard 0, where fold_closed_shards puts them once it has closed."""
        return spread if shared and begins + size > self.now else 0

    def count_failure(self, bucket: datetime, *, ip: str, email: str, step: int = 1) -> None:
        """Count a failure for its IP and email in every span (step -1 takes one back)."""
        starts = [(span, floor_to(bucket, size)) for span, size in FAILURE_SPANS.items()]
        for kind, value in ((IP, ip[:45]), (EMAIL, email[:EMAIL_MAX])):
            if value:  # an empty value is never listed
                for span, begins in starts:
                    self.failures[(kind, span, begins, value)] += step

    def write(self) -> None:
        """Upsert every increment (adds to existing rollup rows)."""
        stats = [
            {
                "user_key": k[0],
                "bucket_start": k[1],
                "shard": k[2],
                "successes": v[0],
                "failures": v[1],
                "last_success_at": v[2],
            }
            for k, v in self.stats.items()
        ]
        devices = [
            {
                "user_key": k[0],
                "span": k[1],
                "bucket_start": k[2],
                "browser": k[3],
                "os": k[4],
                "device_type": k[5],
                "shard": k[6],
                "attempts": n,
            }
            for k, n in self.devices.items()
        ]
        for i in range(0, len(stats), CHUNK):
            db.session.execute(_upsert(LoginStat), stats[i : i + CHUNK])
        for i in range(0, len(devices), CHUNK):
            db.session.execute(_upsert(LoginDeviceStat), devices[i : i + CHUNK])
        failures = [
            {"kind": k[0], "span": k[1], "bucket_start": k[2], "value": k[3], "failures": n}
            for k, n in self.failures.items()
        ]
        for i in range(0, len(failures), CHUNK):
            db.session.execute(_upsert(LoginFailureStat), failures[i : i + CHUNK])
        countries = geo.rows_of(self.countries)
        for i in range(0, len(countries), CHUNK):
            db.session.execute(_upsert(LoginCountryStat), countries[i : i + CHUNK])
        self.stats.clear()
        self.devices.clear()
        self.failures.clear()
        self.countries.clear()


# What an upsert merges into an existing rollup row: counters add up, the newest stays.
COUNTERS = {
    LoginStat: ("successes", "failures"),
    LoginDeviceStat: ("attempts",),
    LoginFailureStat: ("failures",),
    LoginCountryStat: ("successes", "failures"),
}
NEWEST = {
    LoginStat: ("last_success_at",),
    LoginDeviceStat: (),
    LoginFailureStat: (),
    LoginCountryStat: (),
}


def _upsert(model):
    """INSERT ... that merges into an existing rollup row (SQLite and MariaDB/MySQL)."""
    dialect = db.session.get_bind().dialect.name
    key = (model, dialect)
    if key not in _UPSERTS:  # built once: this runs on every login
        _UPSERTS[key] = _build_upsert(model, dialect)
    return _UPSERTS[key]


_UPSERTS: dict[tuple, object] = {}


def _newer(old, new):
    """SQL: the later of two nullable timestamps."""
    return case((new.is_(None), old), (old.is_(None), new), (new > old, new), else_=old)


def _build_upsert(model, dialect: str):
    table = model.__table__
    if dialect == "sqlite":
        stmt = sqlite_insert(table)
        incoming = stmt.excluded
    elif dialect in ("mysql", "mariadb"):
        stmt = mysql_insert(table)
        incoming = stmt.inserted
    else:  # pragma: no cover
        raise RuntimeError(f"unsupported database dialect {dialect}")
    merge = {c: table.c[c] + incoming[c] for c in COUNTERS[model]}
    merge |= {c: _newer(table.c[c], incoming[c]) for c in NEWEST[model]}
    if dialect == "sqlite":
        keys = [c.name for c in table.primary_key.columns]
        return stmt.on_conflict_do_update(index_elements=keys, set_=merge)
    return stmt.on_duplicate_key_update(merge)


_INSERT_ATTEMPT = LoginAttempt.__table__.insert()


def record_attempt(ctx: AttemptContext) -> dict:
    """Add the attempt row and its rollup increments to the transaction (the caller commits)."""
    attempt = insert_attempt(ctx)
    count_attempt(ctx)
    return attempt


def insert_attempt(ctx: AttemptContext) -> dict:
    """Add the attempt row alone (a new row: nobody else waits on it)."""
    ctx.recorded = True
    attempt = dict(
        user_id=ctx.user_id,
        email_tried=(ctx.email or "")[:EMAIL_MAX],
        success=ctx.success,
        method=ctx.method,
        reason=ctx.reason or "error",
        ip=ctx.ip[:45],
        user_agent=ctx.user_agent or "",
        device=device_label(ctx.user_agent or ""),
        country=geo.country_of(ctx.ip),
        session_id=ctx.session_id,
        created_at=ctx.started_at,
    )
    db.session.execute(_INSERT_ATTEMPT, attempt)
    return attempt


# A right first factor that leads to a second step: recorded, but neither a success nor a
# failure in the rollups (the sign-in is counted once, by its second step).
NOT_COUNTED = ("mfa_required",)


def count_attempt(ctx: AttemptContext) -> None:
    """Add the attempt's rollup increments."""
    if ctx.reason in NOT_COUNTED:
        return
    batch = RollupBatch()
    fold_closed_shards(batch.now)  # before this attempt's own rows: see fold_closed_shards
    batch.add(ctx.user_id, ctx.started_at, ctx.success, ctx.user_agent, ip=ctx.ip, email=ctx.email)
    batch.write()


# The rollups whose everyone rows are sharded: the column that starts a row's span, and the
# spans (by the name in a span column, None for a rollup of one span).
SHARDED = (
    (LoginStat, "bucket_start", {None: BUCKET}),
    (LoginDeviceStat, "bucket_start", DEVICE_SPANS),
    (LoginCountryStat, "day", {None: DEVICE_SPANS[DAY]}),
)
# Per database, the quarter this process last folded the shards before.
_FOLDED: dict[str, datetime] = {}
# How far back a fold looks: spans that closed while no attempt was recorded are folded too.
FOLD_REACH = timedelta(days=2)


def fold_closed_shards(now: datetime) -> None:
    """Fold everyone's shard rows of spans that have closed into shard 0, once per quarter and
    process, so reads meet several rows a bucket only in the spans still open.

    The shard rows are read with a row lock and deleted by key, so a parallel fold waits and
    then finds nothing left, and a late attempt's row that appears meanwhile is kept (reads
    sum the shards anyway). It runs before the attempt writes its own rows: it then holds no
    open span's row while it waits for a late attempt that may want one.
    """
    current, database = bucket_of(now), str(db.engine.url)
    if everyone_shards() == 1 or _FOLDED.get(database, datetime.min) >= current:
        return
    _FOLDED[database] = current
    for model, begins, spans in SHARDED:
        table = model.__table__
        keys = [c for c in table.primary_key.columns if c.name != "shard"]
        values = [table.c[c] for c in COUNTERS[model] + NEWEST[model]]
        for span, size in spans.items():
            closed = floor_to(current, size)
            where = [
                table.c.user_key == EVERYONE_KEY,
                table.c.shard > 0,
                table.c[begins] >= closed - FOLD_REACH,
                table.c[begins] < closed,
            ]
            if span is not None:
                where.append(table.c.span == span)
            rows = db.session.execute(
                select(*keys, table.c.shard, *values).where(*where).with_for_update()
            ).all()
            if rows:
                _fold(model, keys, rows)


def _fold(model, keys, rows) -> None:
    """Add the shard rows to shard 0 of their key and delete them."""
    table = model.__table__
    names = [c.name for c in keys]
    counters, newest = COUNTERS[model], NEWEST[model]
    merged: dict[tuple, dict] = {}
    for row in rows:
        values = dict(zip([*names, "shard", *counters, *newest], row, strict=True))
        key = tuple(values[n] for n in names)
        into = merged.setdefault(key, {**values, "shard": 0, **dict.fromkeys(counters, 0)})
        for c in counters:
            into[c] += values[c]
        for c in newest:
            into[c] = max((t for t in (into[c], values[c]) if t is not None), default=None)
    db.session.execute(_upsert(model), list(merged.values()))
    gone = [dict(zip([*names, "shard"], row[: len(names) + 1], strict=True)) for row in rows]
    db.session.execute(
        delete(table).where(*[table.c[n] == bindparam(f"k_{n}") for n in [*names, "shard"]]),
        [{f"k_{n}": g[n] for n in g} for g in gone],
    )


def count_login(user: User, ip: str, when: datetime) -> None:
    """Bump login_count atomically: the flush emits SET login_count = login_count + 1."""
    user.login_count = User.login_count + 1
    user.last_login_at = when
    user.last_login_ip = ip[:45]


def rebuild_rollups() -> dict[str, int]:
    """Recompute the rollups from the raw attempts; returns what changed."""
    models = {
        "stat": LoginStat,
        "device": LoginDeviceStat,
        "failure": LoginFailureStat,
        "country": LoginCountryStat,
    }
    before = {name: _snapshot(model) for name, model in models.items()}
    for model in models.values():
        db.session.execute(delete(model))
    batch = RollupBatch()
    rows = db.session.execute(
        select(
            LoginAttempt.user_id,
            LoginAttempt.created_at,
            LoginAttempt.success,
            LoginAttempt.user_agent,
            LoginAttempt.ip,
            LoginAttempt.email_tried,
        )
        .where(LoginAttempt.reason.not_in(NOT_COUNTED))
        .execution_options(yield_per=CHUNK)
    )
    attempts = 0
    for user_id, created_at, success, user_agent, ip, email in rows:
        batch.add(user_id, created_at, success, user_agent, ip=ip, email=email)
        attempts += 1
        if len(batch.failures) > 10 * CHUNK:  # keep memory bounded on large tables
            batch.write()
    batch.write()
    changes: dict[str, int] = {"attempts": attempts}
    for name, model in models.items():
        changes |= _diff(name, before[name], _snapshot(model))
    return changes


def _snapshot(model) -> dict[tuple, tuple]:
    """Each rollup row's figures, everyone's shards of one span added up: where a count sits
    among the shards (folded yet or not) is no change."""
    table = model.__table__
    keys = [c for c in table.primary_key.columns if c.name != "shard"]
    values = [func.sum(table.c[c]) for c in COUNTERS[model]]
    values += [func.max(table.c[c]) for c in NEWEST[model]]
    rows = db.session.execute(select(*keys, *values).group_by(*keys)).all()
    return {tuple(r[: len(keys)]): tuple(r[len(keys) :]) for r in rows}


def _diff(name: str, before: dict, after: dict) -> dict[str, int]:
    return {
        f"{name}_rows_added": len(after.keys() - before.keys()),
        f"{name}_rows_removed": len(before.keys() - after.keys()),
        f"{name}_rows_changed": sum(
            1 for k in after.keys() & before.keys() if after[k] != before[k]
        ),
        f"{name}_rows": len(after),
    }


def forget_failed_emails(user_id: int) -> None:
    """Take a user's failed attempts out of the email failure rows, before account deletion
    blanks their email (the IP rows keep counting them, as the attempts keep their IP)."""
    batch = RollupBatch()
    rows = db.session.execute(
        select(LoginAttempt.created_at, LoginAttempt.email_tried).where(
            LoginAttempt.user_id == user_id,
            LoginAttempt.success.is_(False),
            LoginAttempt.reason.not_in(NOT_COUNTED),
        )
    )
    emails = set()
    for created_at, email in rows:
        batch.count_failure(bucket_of(created_at), ip="", email=email, step=-1)
        emails.add(email[:EMAIL_MAX])
    batch.write()
    if emails:
        table = LoginFailureStat.__table__
        db.session.execute(
            delete(table).where(
                table.c.kind == EMAIL, table.c.value.in_(emails), table.c.failures <= 0
            )
        )


def reassign_rollups(user_id: int, to_key: int = NO_ACCOUNT_KEY) -> None:
    """Move a user's rollup counts to another key (account deletion keeps system totals)."""
    for model in (LoginStat, LoginDeviceStat, LoginCountryStat):
        table = model.__table__
        rows = [
            dict(r._mapping)
            for r in db.session.execute(select(table).where(table.c.user_key == user_id))
        ]
        for row in rows:
            row["user_key"] = to_key
        for i in range(0, len(rows), CHUNK):
            db.session.execute(_upsert(model), rows[i : i + CHUNK])
        db.session.execute(delete(table).where(table.c.user_key == user_id))
