"""security signals

Countries on attempts and their daily rollup, each user's known sign-in places, blocked
networks, and what security events need for the feeds and new-sign-in notices. Attempts
recorded before this migration keep an empty country.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("country", sa.String(length=2), nullable=False, server_default="")
        )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.alter_column("country", server_default=None)

    op.create_table(
        "login_country_stats",
        sa.Column("user_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", TIMESTAMP, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_key", "day", "country", name=op.f("pk_login_country_stats")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "known_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_known_sign_ins_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_sign_ins")),
        sa.UniqueConstraint("user_id", "kind", "value", name="uq_known_sign_ins"),
    )
    op.create_table(
        "ip_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=49), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_ip_blocks_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_blocks")),
    )
    with op.batch_alter_table("ip_blocks", schema=None) as batch_op:
        batch_op.create_index("ix_ip_blocks_expires", ["expires_at"], unique=False)

    with op.batch_alter_table("security_events", schema=None) as batch_op:
        for name, length in (("subject", 191), ("country", 2), ("device", 120), ("resolution", 16)):
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
        batch_op.add_column(sa.Column("resolved_at", TIMESTAMP, nullable=True))
        batch_op.create_index(
            "ix_security_events_email_created", ["email", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_security_events_kind_subject", ["kind", "subject", "created_at"], unique=False
        )
        batch_op.create_index("ix_security_events_created", ["created_at"], unique=False)
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        for name in ("subject", "country", "device", "resolution"):
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_events_created")
        batch_op.drop_index("ix_security_events_kind_subject")
        batch_op.drop_index("ix_security_events_email_created")
        for name in ("resolved_at", "resolution", "device", "country", "subject"):
            batch_op.drop_column(name)
    with op.batch_alter_table("ip_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_ip_blocks_expires")
    op.drop_table("ip_blocks")
    op.drop_table("known_sign_ins")
    op.drop_table("login_country_stats")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_column("country")
