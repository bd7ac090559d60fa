"""The Alembic history builds exactly the schema the models describe, and unwinds cleanly."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from consultations.models import Base
from tracker.db import db


def test_upgrade_matches_the_models_and_downgrade_removes_everything(app):
    with app.app_context():
        db.drop_all()  # the fixture made tables with create_all; start from nothing
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()  # leave what the fixture's teardown expects
