"""Shared column helpers: naive UTC timestamps and portable big-integer keys."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.dialects import mysql, sqlite

# SQLite only auto-increments INTEGER PRIMARY KEY; MariaDB gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class SQLiteTimestamp(sqlite.DATETIME):
    """SQLite's DATETIME, read with the C-speed datetime.fromisoformat.

    The stored text is unchanged; dashboards read thousands of rollup rows per request and
    the default regex-based reader dominated their cost.
    """

    def result_processor(self, dialect, coltype):
        parse = datetime.fromisoformat
        return lambda value: parse(value) if isinstance(value, str) else value


# Microsecond timestamps on MariaDB too, so ordering and round trips match SQLite.
Timestamp = (
    DateTime()
    .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    .with_variant(SQLiteTimestamp(), "sqlite")
)


def utcnow() -> datetime:
    """Current UTC time as a naive datetime (stored as UTC on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)
