"""The Alembic history builds exactly the schema the models describe, and unwinds cleanly."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from consultations.models import Base
from tracker.db import db

pytestmark = pytest.mark.slow  # every migration up and down, from an empty database


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


def test_existing_users_consultations_and_questions_start_at_version_1(app):
    with app.app_context():
        db.drop_all()
        upgrade(revision="0007")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO \"user\" (id, email, name, role, password_hash, active, created_at) "
                "VALUES (1, 'a@example.org', 'A', 'admin', 'x', true, '2026-01-01 00:00:00')")
            connection.exec_driver_sql(
                "INSERT INTO consultation (id, slug, title, body, status, created_at) "
                "VALUES (1, 'c', 'C', 'B', 'open', '2026-01-01 00:00:00')")
            connection.exec_driver_sql(
                "INSERT INTO question (id, consultation_id, number, text, position) VALUES (1, 1, '1', 'Q?', 0)")
        upgrade()
        with db.engine.connect() as connection:
            for table in ("\"user\"", "consultation", "question"):
                assert connection.exec_driver_sql(f"SELECT version_id FROM {table}").scalar_one() == 1
        downgrade(revision="base")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()
