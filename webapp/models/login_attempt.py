"""Login attempts, one row per interactive attempt, and their 15-minute rollup."""

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import BigId, Timestamp, utcnow

BUCKET_SECONDS = 15 * 60


class LoginAttempt(db.Model):
    """One interactive sign-in attempt, successful or not."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_user_created", "user_id", "created_at"),
        Index("ix_login_attempts_created", "created_at"),
        Index("ix_login_attempts_ip_created", "ip", "created_at"),
        Index("ix_login_attempts_email_created", "email_tried", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email_tried: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    ip: Mapped[str] = mapped_column(String(45), nullable=False)
    user_agent: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    device: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    # ISO 3166 code from the IP (offline table); empty for private and unknown addresses.
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    session_id: Mapped[str | None] = mapped_column(String(64))
    created_at = mapped_column(Timestamp, nullable=False, default=utcnow)


# Rollup keys besides user ids: attempts on unknown emails, and everyone's attempts together
# (so system-wide charts read a few rows per bucket, however many users there are).
NO_ACCOUNT_KEY = 0
EVERYONE_KEY = -1
# Every attempt counts for everyone, so on a server database everyone's row of the current
# bucket would be written by every sign-in of the deployment, one after another under its row
# lock. There it is split into this many shards (the last primary-key column; 0 for every
# other key): an attempt adds to the shard its timestamp's microseconds pick, so parallel
# sign-ins seldom meet on a row, and a rebuild from the raw attempts picks the same shards.
# Reads sum over the key: at most this many rows per bucket. SQLite keeps shard 0 alone: its
# one write lock serialises every write anyway, so shards would only cost reads.
EVERYONE_SHARDS = 4


def _shard():
    return mapped_column(SmallInteger, primary_key=True, autoincrement=False, server_default="0")


class LoginStat(db.Model):
    """Successes and failures per (user key, UTC 15-minute bucket, shard), and the bucket's
    newest success: the last sign-in in any window is then read from the rollup alone."""

    __tablename__ = "login_stats"
    # Clustered by (user_key, bucket_start) on SQLite too, as InnoDB does: range reads stay local.
    # Inserts never ask for the key back (the shard's server default is no generated key).
    __table_args__ = {"sqlite_with_rowid": False, "implicit_returning": False}

    user_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    bucket_start = mapped_column(Timestamp, primary_key=True)
    shard: Mapped[int] = _shard()
    successes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_success_at = mapped_column(Timestamp)


class LoginDeviceStat(db.Model):
    """Attempts per (user key, span, bucket, browser, OS, device type, shard).

    Each attempt is counted three times: in its UTC 15-minute bucket (span "q"), its UTC
    hour ("h") and its UTC day ("d"). A window reads whole days from the day rows, the whole
    hours of its partial edge days from the hour rows and only sub-hour edges (offsets such
    as +05:45) from the quarters, so the rows read stay bounded however many attempts exist.
    """

    __tablename__ = "login_device_stats"
    __table_args__ = {"sqlite_with_rowid": False, "implicit_returning": False}

    user_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    span: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket_start = mapped_column(Timestamp, primary_key=True)
    browser: Mapped[str] = mapped_column(String(40), primary_key=True)
    os: Mapped[str] = mapped_column(String(40), primary_key=True)
    device_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    shard: Mapped[int] = _shard()
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class LoginCountryStat(db.Model):
    """Successes and failures per (user key, UTC day, country, shard): the countries charts
    read one row per country and day (a few for everyone's open day), as the other charts
    read the other rollups."""

    __tablename__ = "login_country_stats"
    __table_args__ = {"sqlite_with_rowid": False, "implicit_returning": False}

    user_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day = mapped_column(Timestamp, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    shard: Mapped[int] = _shard()
    successes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ReplayedAttempt(db.Model):
    """The id of each spooled attempt already written back: a replay that was cut short and
    runs again skips these, so every spooled attempt counts exactly once."""

    __tablename__ = "replayed_attempts"

    spool_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    replayed_at = mapped_column(Timestamp, nullable=False, default=utcnow)


class LoginFailureStat(db.Model):
    """Failures per (kind, span, bucket, value): kind "i" counts an IP address, "e" an email
    tried. Spans: UTC week "w" (from Monday), day "d", hour "h" and quarter "q", so a window
    sums whole weeks and only its edges from finer rows. Only failures write here."""

    __tablename__ = "login_failure_stats"
    __table_args__ = (
        # Each week's most-failing values, read with one short index step per week.
        Index("ix_login_failure_stats_top", "kind", "span", "bucket_start", "failures"),
        {"sqlite_with_rowid": False},
    )

    # Keyed by value before span: a value's rows of every span share a few pages, so summing
    # a candidate's weeks, days and edge hours touches them once.
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    value: Mapped[str] = mapped_column(String(254), primary_key=True)
    span: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket_start = mapped_column(Timestamp, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
