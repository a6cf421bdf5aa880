"""device rollup: hour rows

Adds span "h" to login_device_stats, filled from the quarter rows, so a window's partial
edge days are read as hours rather than as quarters.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = "user_key, span, bucket_start, browser, os, device_type, attempts"


def _hour_of(column: str) -> str:
    """SQL truncating a stored UTC timestamp to its hour, in the column's own format."""
    if op.get_bind().dialect.name == "sqlite":
        return f"strftime('%Y-%m-%d %H:00:00.000000', {column})"
    return f"DATE_FORMAT({column}, '%Y-%m-%d %H:00:00')"


def upgrade():
    hour = _hour_of("bucket_start")
    op.execute(
        f"INSERT INTO login_device_stats ({COLUMNS}) "
        f"SELECT user_key, 'h', {hour}, browser, os, device_type, SUM(attempts) "
        "FROM login_device_stats WHERE span = 'q' "
        f"GROUP BY user_key, {hour}, browser, os, device_type"
    )


def downgrade():
    op.execute("DELETE FROM login_device_stats WHERE span = 'h'")
