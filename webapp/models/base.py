"""Shared column helpers: naive UTC timestamps and portable big-integer keys."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.dialects import mysql

# SQLite only auto-increments INTEGER PRIMARY KEY; MariaDB gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Microsecond timestamps on MariaDB too, so ordering and round trips match SQLite.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def utcnow() -> datetime:
    """Current UTC time as a naive datetime (stored as UTC on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)
