"""Fixtures: an app on a temporary SQLite file (or TEST_DATABASE_URL), a client and a CLI runner."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import has_app_context
from jinja2 import BytecodeCache
from sqlalchemy import event

from tracker import create_app
from tracker.db import db

DEMO_DATA = Path(__file__).resolve().parent.parent / "tracker" / "demo_data"
CLINKS_RESPONSE = DEMO_DATA / "responses" / "clinks-2019.txt"
PROBATION_FRAMEWORK = DEMO_DATA / "frameworks" / "hmip-probation-standards-2019.yaml"
SUER_FRAMEWORK = DEMO_DATA / "frameworks" / "hmip-service-user-engagement-2019.yaml"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@contextmanager
def count_statements(app):
    """SQL statements sent to the database while the block runs, for the query-count tests.
    Requests share the test's session, so it starts cold, as a real request does."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    if has_app_context():
        db.session.expire_all()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


class SharedTemplateCache(BytecodeCache):
    """Compiled templates shared by the many apps the tests create: without it every test
    recompiles the GOV.UK templates, most of a page test's time."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedTemplateCache()


def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app(tmp_path, monkeypatch, request):
    """The app on a fresh database; ``@pytest.mark.app_config(NAME=value)`` adds settings."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    marker = request.node.get_closest_marker("app_config")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,  # tests/test_auth.py checks CSRF with it on
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes; production uses scrypt
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            **(marker.kwargs if marker else {}),
        }
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """The request-independent session, with an app context pushed for the test."""
    with app.app_context():
        yield db.session


PASSWORD = "a long test password"
ROLES = ("admin", "policy", "methodology", "approver", "viewer")


@pytest.fixture
def users(app):
    """One active user per role, emailed ROLE@example.org, all with PASSWORD."""
    from consultations.users import create_user

    with app.app_context():
        ids = {role: create_user(db.session, f"{role}@example.org", role, PASSWORD, role.title()).id
               for role in ROLES}
        db.session.commit()
    return ids


@pytest.fixture
def sign_in(client, users):
    """sign_in(role) signs the test client in as that role's user."""

    def _sign_in(role: str):
        response = client.post("/sign-in", data={"email": f"{role}@example.org", "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _sign_in
