"""user_sessions.previous_refresh_jti and rotated_at

The refresh token a rotation replaced, and when, so that a token rotated moments ago (parallel
refreshes of a single-page app) still refreshes its session within the grace window.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_refresh_jti", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "rotated_at",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
                nullable=True,
            )
        )


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("rotated_at")
        batch_op.drop_column("previous_refresh_jti")
