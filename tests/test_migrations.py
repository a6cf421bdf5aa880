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
