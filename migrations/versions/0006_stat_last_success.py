"""login_stats.last_success_at

The newest success of each rollup bucket, so the last sign-in of any window (and of many
users at once) is read from the rollup without touching the raw attempts. Filled from
the attempts that exist.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 11:20:00.000000

"""
from datetime import datetime, timedelta

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EVERYONE_KEY, NO_ACCOUNT_KEY = -1, 0
QUARTER = timedelta(minutes=15)
EPOCH = datetime(2000, 1, 1)


def upgrade():
    with op.batch_alter_table("login_stats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_success_at",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )
    attempts = sa.table(
        "login_attempts",
        sa.column("user_id", sa.Integer()),
        sa.column("success", sa.Boolean()),
        sa.column("created_at", sa.DateTime()),
    )
    bind = op.get_bind()
    newest: dict[tuple[int, datetime], datetime] = {}
    rows = bind.execute(
        sa.select(attempts.c.user_id, attempts.c.created_at).where(attempts.c.success.is_(True))
    )
    for user_id, created_at in rows:
        bucket = created_at - (created_at - EPOCH) % QUARTER
        for key in (user_id or NO_ACCOUNT_KEY, EVERYONE_KEY):
            if created_at > newest.get((key, bucket), created_at - QUARTER):
                newest[(key, bucket)] = created_at
    stats = sa.table(
        "login_stats",
        sa.column("user_key", sa.Integer()),
        sa.column("bucket_start", sa.DateTime()),
        sa.column("last_success_at", sa.DateTime()),
    )
    update = (
        sa.update(stats)
        .where(stats.c.user_key == sa.bindparam("k"), stats.c.bucket_start == sa.bindparam("b"))
        .values(last_success_at=sa.bindparam("t"))
    )
    items = [{"k": k, "b": b, "t": t} for (k, b), t in newest.items()]
    for i in range(0, len(items), 5000):
        bind.execute(update, items[i : i + 5000])


def downgrade():
    with op.batch_alter_table("login_stats", schema=None) as batch_op:
        batch_op.drop_column("last_success_at")
