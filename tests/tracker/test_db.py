"""The app's database connections: settings made as each connects."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tracker.db import db


def test_postgresql_connections_do_without_jit_compilation(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
        db.session.rollback()  # the setting outlives a transaction that rolls back
        assert db.session.scalar(text("SHOW jit")) == "off"
        db.session.close()
        db.engine.dispose()  # and every new connection has it
        assert db.session.scalar(text("SHOW jit")) == "off"
