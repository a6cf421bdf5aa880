"""rollup shards: everyone's rows split by a shard column

Adds `shard` as the last primary-key column of login_stats and login_device_stats, so the
system-wide rows of a bucket are spread over a few rows rather than written by every sign-in.
Existing rows keep their counts in shard 0; reads sum over the shards.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KEYS = {
    "login_stats": ["user_key", "bucket_start"],
    "login_device_stats": ["user_key", "span", "bucket_start", "browser", "os", "device_type"],
}


def _set_key(table: str, columns: list[str], add_shard: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        # One ALTER: the column and the new key together, no moment without a primary key.
        column = "ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0, " if add_shard else ""
        drop = "" if add_shard else ", DROP COLUMN shard"
        op.execute(
            f"ALTER TABLE {table} {column}DROP PRIMARY KEY, "
            f"ADD PRIMARY KEY ({', '.join(columns)}){drop}"
        )
        return
    # SQLite rebuilds the table; it stays clustered by its key (WITHOUT ROWID).
    with op.batch_alter_table(
        table, recreate="always", table_kwargs={"sqlite_with_rowid": False}
    ) as batch:
        if add_shard:
            batch.add_column(
                sa.Column("shard", sa.SmallInteger(), nullable=False, server_default="0")
            )
        batch.drop_constraint(f"pk_{table}", type_="primary")
        if not add_shard:
            batch.drop_column("shard")
        batch.create_primary_key(f"pk_{table}", columns)


def upgrade():
    for table, columns in KEYS.items():
        _set_key(table, [*columns, "shard"], add_shard=True)


def downgrade():
    for table, columns in KEYS.items():
        counters = "successes, failures" if table == "login_stats" else "attempts"
        _merge_shards(table, columns, counters)
        _set_key(table, columns, add_shard=False)


def _merge_shards(table: str, columns: list[str], counters: str) -> None:
    """Fold every shard into shard 0 (sums, and the newest success)."""
    keys = ", ".join(columns)
    sums = ", ".join(f"SUM({c})" for c in counters.split(", "))
    newest = ", MAX(last_success_at)" if table == "login_stats" else ""
    newest_column = ", last_success_at" if table == "login_stats" else ""
    op.execute(f"CREATE TABLE shard_merge AS SELECT * FROM {table} WHERE 1 = 0")
    op.execute(
        f"INSERT INTO shard_merge ({keys}, shard, {counters}{newest_column}) "
        f"SELECT {keys}, 0, {sums}{newest} FROM {table} GROUP BY {keys}"
    )
    op.execute(f"DELETE FROM {table}")
    op.execute(f"INSERT INTO {table} SELECT * FROM shard_merge")
    op.execute("DROP TABLE shard_merge")
