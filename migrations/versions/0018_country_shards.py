"""country rollup shards: everyone's country rows split by a shard column

Adds `shard` as the last primary-key column of login_country_stats, as 0015 did for the other
rollups, so everyone's row of a (day, country) is spread over a few rows rather than written
by every sign-in from that country. Existing rows keep their counts in shard 0; reads sum over
the shards.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLE = "login_country_stats"
KEY = ["user_key", "day", "country"]


def _set_key(columns: list[str], add_shard: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        # One ALTER: the column and the new key together, no moment without a primary key.
        column = "ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0, " if add_shard else ""
        drop = "" if add_shard else ", DROP COLUMN shard"
        op.execute(
            f"ALTER TABLE {TABLE} {column}DROP PRIMARY KEY, "
            f"ADD PRIMARY KEY ({', '.join(columns)}){drop}"
        )
        return
    # SQLite rebuilds the table; it stays clustered by its key (WITHOUT ROWID).
    with op.batch_alter_table(
        TABLE, recreate="always", table_kwargs={"sqlite_with_rowid": False}
    ) as batch:
        if add_shard:
            batch.add_column(
                sa.Column("shard", sa.SmallInteger(), nullable=False, server_default="0")
            )
        batch.drop_constraint(f"pk_{TABLE}", type_="primary")
        if not add_shard:
            batch.drop_column("shard")
        batch.create_primary_key(f"pk_{TABLE}", columns)


def upgrade():
    _set_key([*KEY, "shard"], add_shard=True)


def downgrade():
    # Fold every shard into shard 0 first: the key without a shard must stay unique.
    keys = ", ".join(KEY)
    op.execute(f"CREATE TABLE shard_merge AS SELECT * FROM {TABLE} WHERE 1 = 0")
    op.execute(
        f"INSERT INTO shard_merge ({keys}, shard, successes, failures) "
        f"SELECT {keys}, 0, SUM(successes), SUM(failures) FROM {TABLE} GROUP BY {keys}"
    )
    op.execute(f"DELETE FROM {TABLE}")
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM shard_merge")
    op.execute("DROP TABLE shard_merge")
    _set_key(KEY, add_shard=False)
