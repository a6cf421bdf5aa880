"""replayed_attempts

Ids of the login attempts written back from the local spool (kept while the database was
down), so a replay that runs twice never counts one twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "replayed_attempts",
        sa.Column("spool_id", sa.String(length=36), nullable=False),
        sa.Column(
            "replayed_at",
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("spool_id", name=op.f("pk_replayed_attempts")),
    )


def downgrade():
    op.drop_table("replayed_attempts")
