"""failure rollup: failures per IP address and per email tried

Filled here from the failed attempts already stored, by UTC week, day, hour and quarter, as the
login pipeline counts them from now on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 07:10:00.000000

"""
from collections import defaultdict
from datetime import datetime, timedelta

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

EPOCH = datetime(2000, 1, 3)  # a Monday midnight, as the application's floors use
SPANS = {
    "w": timedelta(days=7),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "q": timedelta(minutes=15),
}
CHUNK = 5000


def _timestamp():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    table = op.create_table(
        "login_failure_stats",
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("span", sa.String(length=1), nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("bucket_start", _timestamp(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "value", "span", "bucket_start", name=op.f("pk_login_failure_stats")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_login_failure_stats_top",
        "login_failure_stats",
        ["kind", "span", "bucket_start", "failures"],
        unique=False,
    )
    attempts = sa.table(
        "login_attempts",
        sa.column("ip", sa.String),
        sa.column("email_tried", sa.String),
        sa.column("success", sa.Boolean),
        sa.column("reason", sa.String),
        sa.column("created_at", _timestamp()),
    )
    counts = defaultdict(int)
    rows = op.get_bind().execute(
        sa.select(attempts.c.ip, attempts.c.email_tried, attempts.c.created_at).where(
            attempts.c.success == sa.false(),
            attempts.c.reason != "mfa_required",  # a step to a second factor: not a failure
        )
    )
    for ip, email, created_at in rows:
        if isinstance(created_at, str):  # SQLite without the application's type
            created_at = datetime.fromisoformat(created_at)
        for span, size in SPANS.items():
            start = created_at - (created_at - EPOCH) % size
            for kind, value in (("i", ip), ("e", email)):
                if value:
                    counts[(kind, span, value, start)] += 1
    values = [
        {"kind": k, "span": s, "value": v, "bucket_start": b, "failures": n}
        for (k, s, v, b), n in counts.items()
    ]
    for i in range(0, len(values), CHUNK):
        op.bulk_insert(table, values[i : i + CHUNK])


def downgrade():
    op.drop_index("ix_login_failure_stats_top", table_name="login_failure_stats")
    op.drop_table("login_failure_stats")
