"""The Alembic history builds exactly the models' schema, up and down."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import TEST_DATABASE_URL
from webapp import create_app
from webapp.extensions import db


def test_upgrade_matches_models_and_downgrade_cleans_up(tmp_path):
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrate.db'}"
    if TEST_DATABASE_URL:
        from tests.conftest import _worker_url

        url = _worker_url(TEST_DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        try:
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == []
            downgrade(revision="base")
            names = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert names == set()
        finally:
            # Leave the schema the rest of the suite expects.
            db.drop_all()
            db.create_all()
            db.engine.dispose()


def _fresh_app(tmp_path):
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'steps.db'}"
    if TEST_DATABASE_URL:
        from tests.conftest import _worker_url

        url = _worker_url(TEST_DATABASE_URL)
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(tmp_path))


def _clear_schema():
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


def _restore_schema():
    """Leave the schema the rest of the suite expects."""
    _clear_schema()
    db.create_all()
    db.engine.dispose()


# The attempts table as migration 0004 left it (the model has grown columns since).
OLD_ATTEMPTS = sa.table(
    "login_attempts",
    *(
        sa.column(name)
        for name in (
            "email_tried",
            "success",
            "method",
            "reason",
            "ip",
            "user_agent",
            "device",
            "created_at",
        )
    ),
)


def test_hour_rows_are_filled_from_quarters_and_match_a_rebuild(tmp_path):
    """Migration 0005 adds the device rollup's hour rows for data written before it."""
    from datetime import datetime

    from webapp.services.tracking import rebuild_rollups

    app = _fresh_app(tmp_path)
    chrome = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
    )
    with app.app_context():
        try:
            _clear_schema()
            upgrade(revision="0004")
            rows = [
                # two quarters of one hour, a quarter of the next hour, another user agent
                (datetime(2026, 3, 1, 10, 0), 3, chrome),
                (datetime(2026, 3, 1, 10, 45), 2, chrome),
                (datetime(2026, 3, 1, 11, 15), 4, chrome),
                (datetime(2026, 3, 1, 10, 15), 5, ""),
            ]
            with db.engine.begin() as conn:
                for moment, n, agent in rows:
                    for key in (-1, 0):
                        conn.execute(
                            sa.text(
                                "INSERT INTO login_device_stats (user_key, span, bucket_start,"
                                " browser, os, device_type, attempts) VALUES"
                                " (:k, 'q', :b, :br, :os, :t, :n)"
                            ),
                            {
                                "k": key,
                                "b": moment,
                                "br": "Chrome" if agent else "Unknown",
                                "os": "Windows" if agent else "Unknown",
                                "t": "desktop" if agent else "other",
                                "n": n,
                            },
                        )
                    for _ in range(n):
                        conn.execute(
                            OLD_ATTEMPTS.insert(),
                            {
                                "email_tried": "x@example.org",
                                "success": False,
                                "method": "password",
                                "reason": "unknown_user",
                                "ip": "10.0.0.1",
                                "user_agent": agent,
                                "device": "",
                                "created_at": moment,
                            },
                        )
            upgrade()
            with db.engine.connect() as conn:
                hours = conn.execute(
                    sa.text(
                        "SELECT user_key, bucket_start, browser, attempts FROM login_device_stats"
                        " WHERE span = 'h' ORDER BY user_key, bucket_start, browser"
                    )
                ).all()
            assert [(k, str(b)[:16], br, n) for k, b, br, n in hours] == [
                (-1, "2026-03-01 10:00", "Chrome", 5),
                (-1, "2026-03-01 10:00", "Unknown", 5),
                (-1, "2026-03-01 11:00", "Chrome", 4),
                (0, "2026-03-01 10:00", "Chrome", 5),
                (0, "2026-03-01 10:00", "Unknown", 5),
                (0, "2026-03-01 11:00", "Chrome", 4),
            ]
            # The raw attempts rebuild the same hour rows (day rows were never written here).
            changes = rebuild_rollups()
            db.session.commit()
            assert changes["device_rows_removed"] == 0
            assert changes["device_rows_changed"] == 0
        finally:
            _restore_schema()


def test_last_success_is_filled_from_the_attempts(tmp_path):
    """Migration 0006 gives each existing rollup bucket its newest success."""
    from datetime import datetime

    from webapp.models import LoginStat

    app = _fresh_app(tmp_path)
    with app.app_context():
        try:
            _clear_schema()
            upgrade(revision="0005")
            attempts = [  # (user, time, success): user None is an unknown email
                (None, datetime(2026, 3, 1, 10, 1, 2, 345678), True),
                (None, datetime(2026, 3, 1, 10, 14, 59, 999999), True),
                (None, datetime(2026, 3, 1, 10, 14, 59, 999999), False),
                (None, datetime(2026, 3, 1, 10, 20), False),
            ]
            with db.engine.begin() as conn:
                for user, moment, ok in attempts:
                    conn.execute(
                        OLD_ATTEMPTS.insert(),
                        {
                            "user_id": user,
                            "email_tried": "x@example.org",
                            "success": ok,
                            "method": "password",
                            "reason": "ok" if ok else "unknown_user",
                            "ip": "10.0.0.1",
                            "user_agent": "",
                            "device": "",
                            "created_at": moment,
                        },
                    )
                for key in (0, -1):
                    for bucket, good, bad in (
                        (datetime(2026, 3, 1, 10, 0), 2, 1),
                        (datetime(2026, 3, 1, 10, 15), 0, 1),
                    ):
                        conn.execute(  # the columns of revision 0005 only
                            LoginStat.__table__.insert(),
                            {
                                "user_key": key,
                                "bucket_start": bucket,
                                "successes": good,
                                "failures": bad,
                            },
                        )
            upgrade()
            rows = db.session.execute(
                sa.select(
                    LoginStat.user_key, LoginStat.bucket_start, LoginStat.last_success_at
                ).order_by(LoginStat.user_key, LoginStat.bucket_start)
            ).all()
            newest = datetime(2026, 3, 1, 10, 14, 59, 999999)
            assert [(k, b.minute, t) for k, b, t in rows] == [
                (-1, 0, newest),
                (-1, 15, None),
                (0, 0, newest),
                (0, 15, None),
            ]
        finally:
            _restore_schema()


def test_rollup_rows_keep_their_counts_in_shard_zero_and_shards_merge_back_down(tmp_path):
    """Migration 0015 adds the shard to the rollups' keys: existing rows become shard 0, and a
    downgrade folds the shards of a key and bucket back into one row."""
    from datetime import datetime

    from flask_migrate import upgrade as up

    bucket, newer = datetime(2026, 3, 1, 10, 0), datetime(2026, 3, 1, 10, 7)
    app = _fresh_app(tmp_path)
    with app.app_context():
        try:
            _clear_schema()
            up(revision="0014")
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO login_stats (user_key, bucket_start, successes, failures, "
                        "last_success_at) VALUES (-1, :b, 2, 1, :b), (7, :b, 2, 1, :b)"
                    ),
                    {"b": bucket},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO login_device_stats (user_key, span, bucket_start, browser, "
                        "os, device_type, attempts) VALUES (-1, 'd', :b, 'Firefox', 'Linux', "
                        "'desktop', 3)"
                    ),
                    {"b": bucket},
                )
            up(revision="0015")
            with db.engine.begin() as conn:
                stats = conn.execute(
                    sa.text("SELECT user_key, shard, successes, failures FROM login_stats")
                ).all()
                assert sorted(stats) == [(-1, 0, 2, 1), (7, 0, 2, 1)]
                conn.execute(
                    sa.text(
                        "INSERT INTO login_stats (user_key, bucket_start, shard, successes, "
                        "failures, last_success_at) VALUES (-1, :b, 5, 1, 4, :n)"
                    ),
                    {"b": bucket, "n": newer},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO login_device_stats (user_key, span, bucket_start, browser, "
                        "os, device_type, shard, attempts) VALUES (-1, 'd', :b, 'Firefox', "
                        "'Linux', 'desktop', 5, 5)"
                    ),
                    {"b": bucket},
                )
            downgrade(revision="0014")
            with db.engine.begin() as conn:
                stats = conn.execute(
                    sa.text(
                        "SELECT user_key, successes, failures, last_success_at FROM login_stats"
                    )
                ).all()
                devices = conn.execute(
                    sa.text("SELECT user_key, attempts FROM login_device_stats")
                ).all()
            merged = {k: (s, f, str(t)[:19]) for k, s, f, t in stats}
            assert merged == {-1: (3, 5, str(newer)), 7: (2, 1, str(bucket))}
            assert devices == [(-1, 8)]
        finally:
            _restore_schema()
