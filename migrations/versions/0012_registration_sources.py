"""registration sources

Where sign-ups come from, as rows users point at (users.source_id), and an index on
users.created_at for the sign-ups of a window. Existing users get the direct source of
their channel (web, api, admin, demo).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 05:50:00.000000

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# The direct source of each channel, as webapp.services.sources names them.
DIRECT_NAMES = {
    "web": "Website registration",
    "api": "API registration",
    "admin": "Created by an admin",
    "demo": "Demo data",
    "cli": "Created on the command line",
}


def upgrade():
    op.create_table(
        "registration_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=191), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("utm_source", sa.String(length=100), nullable=False),
        sa.Column("utm_medium", sa.String(length=100), nullable=False),
        sa.Column("utm_campaign", sa.String(length=100), nullable=False),
        sa.Column("referrer_host", sa.String(length=253), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_registration_sources_key")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_users_source_id_registration_sources"),
            "registration_sources",
            ["source_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_users_created", ["created_at"], unique=False)
        batch_op.create_index("ix_users_source", ["source_id"], unique=False)

    bind = op.get_bind()
    users = sa.table(
        "users", sa.column("registration_source", sa.String()), sa.column("source_id", sa.Integer())
    )
    sources = sa.table(
        "registration_sources",
        *(sa.column(c, sa.String()) for c in ("key", "name", "category")),
        *(sa.column(c, sa.String()) for c in ("utm_source", "utm_medium", "utm_campaign")),
        sa.column("referrer_host", sa.String()),
        sa.column("created_at", sa.DateTime()),
        sa.column("id", sa.Integer()),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    channels = bind.execute(sa.select(users.c.registration_source).distinct()).scalars().all()
    for channel in channels:
        known = channel if channel in DIRECT_NAMES else "web"
        key = f"direct|{known}||"
        source_id = bind.execute(sa.select(sources.c.id).where(sources.c.key == key)).scalar()
        if source_id is None:
            bind.execute(
                sources.insert().values(
                    key=key,
                    name=DIRECT_NAMES[known],
                    category="direct",
                    utm_source="",
                    utm_medium="",
                    utm_campaign="",
                    referrer_host="",
                    created_at=now,
                )
            )
            source_id = bind.execute(sa.select(sources.c.id).where(sources.c.key == key)).scalar()
        bind.execute(
            users.update()
            .where(users.c.registration_source == channel)
            .values(source_id=source_id)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        # MariaDB keeps an index while a foreign key needs it: the key goes first.
        batch_op.drop_constraint(
            batch_op.f("fk_users_source_id_registration_sources"), type_="foreignkey"
        )
        batch_op.drop_index("ix_users_source")
        batch_op.drop_index("ix_users_created")
        batch_op.drop_column("source_id")
    op.drop_table("registration_sources")
