"""Fixtures: an app on a temporary SQLite file (or TEST_DATABASE_URL), a client and a CLI runner."""
from __future__ import annotations

import fcntl
import inspect
import os
import resource
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import has_app_context
from jinja2 import BytecodeCache
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

import route_cache
from tracker import create_app
from tracker.db import db

route_cache.install()  # every test builds an app: its URL rules' builders are compiled once

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
FIXTURES = TESTS / "fixtures"  # test files live in folders that mirror the packages; fixtures stay here
DEMO_DATA = PROJECT / "tracker" / "demo_data"
CLINKS_RESPONSE = DEMO_DATA / "responses" / "clinks-2019.txt"
PROBATION_FRAMEWORK = DEMO_DATA / "frameworks" / "hmip-probation-standards-2019.yaml"
SUER_FRAMEWORK = DEMO_DATA / "frameworks" / "hmip-service-user-engagement-2019.yaml"
SHARED_DATA = PROJECT.parent / "shared" / "data"


def pytest_configure(config):
    """GOV.UK Frontend compiled for a service not on GOV.UK (tracker.web.assets), built once, by
    the controller before any xdist worker starts: the pages link it and the browser tests load it."""
    if not hasattr(config, "workerinput"):
        from tracker.web import assets

        assets.build()


# Rough cost of a test, for ordering files (below), in tests of the usual fraction of a second: a
# real-data test imports tens of thousands of rows; a browser test launches Chromium on a served
# site; a test marked slow takes seconds for another reason (it says why).
COST = {"real_data": 100, "browser": 30, "slow": 30}


# A module that mentions any of these may reach the database by a way of its own.
DATABASE_WORDS = ("database_url", "DATABASE_URL", "create_app", "make_app", "postgres", "db.session", "engine")


def _database_free(item) -> bool:
    """True for a test that cannot see TEST_DATABASE_URL: no database fixture (``app`` and the
    rest depend on ``database_templates``) and a module that never names a way to the database."""
    if "database_templates" in getattr(item, "fixturenames", ()) or not hasattr(item, "module"):
        return False
    return not any(word in inspect.getsource(item.module) for word in DATABASE_WORDS)


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL (``make test-postgres``), only the tests that use the database: the others
    would repeat, result for result, what the SQLite run (``make test``, beside it in CI) checks.

    The costliest files first. ``make test`` hands whole files to workers in this order
    (``--dist loadfile --no-loadscope-reorder``), so the long files start at once and the short
    ones fill in around them, instead of one long file running alone at the end."""
    if os.environ.get("TEST_DATABASE_URL"):
        free = {id(item) for item in items if _database_free(item)}
        config.hook.pytest_deselected(items=[item for item in items if id(item) in free])
        items[:] = [item for item in items if id(item) not in free]
    cost: dict[str, int] = {}
    for item in items:
        weight = max((COST[m.name] for m in item.iter_markers() if m.name in COST), default=1)
        cost[item.nodeid.split("::")[0]] = cost.get(item.nodeid.split("::")[0], 0) + weight
    items.sort(key=lambda item: -cost[item.nodeid.split("::")[0]])  # stable: a file keeps its own order


def cpu_time() -> float:
    """CPU seconds used so far by this process and its finished child processes (the readers run
    in one). Time bounds in tests measure this, not the clock: CI runs two suites at once on two
    cores, and a bound on wall time would fail because the machine is busy, not because our code
    is slow. Quadratic code still fails them: it burns the CPU time itself."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


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
    """The database of a test that builds its own app (tests/tracker/test_auth.py's ``make_app``)."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


# --- databases built once per session and copied for each test ---------------------------
#
# Building the schema, and above all loading the demo, costs seconds; copying a finished
# database costs milliseconds. So each kind of starting database (empty; the demo; the demo's
# content only; either with the per-role test users made first) is built once, the first time a
# test asks for it, and every test gets its own copy: on SQLite a copy of the file, on
# PostgreSQL ``CREATE DATABASE ... TEMPLATE``. The app's instance folder (its search index)
# is copied with it. A test changes only its own copy, so tests stay independent.

# Fixture names that choose the starting database: a test (or a fixture it uses) that asks
# for one of these gets ``app`` (and so ``client``, ``runner``, ``session``) on that database.
DEMO_FIXTURES = {"demo_app": "demo", "demo_content_app": "demo-content"}


def _template_config(url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,  # tests/tracker/test_auth.py checks CSRF with it on
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes; production uses scrypt
        "SQLALCHEMY_DATABASE_URI": url,
        # Most tests act as the one approver from draft to publication; tests of the rule turn it
        # on with @pytest.mark.app_config(DECISION_TWO_PERSON_RULE=True) (tests/test_safeguards.py).
        "DECISION_TWO_PERSON_RULE": False,
        # Jobs started from the admin pages are recorded, not started: a test runs one with
        # `flask jobs run ID`, or asks for BACKGROUND_JOBS="process" (tests/tracker/staff/test_admin_jobs.py).
        "BACKGROUND_JOBS": "manual",
        **_no_flush_on_commit(url),
    }


def _no_flush_on_commit(url: str) -> dict:
    """Commits that do not wait for the disk: a test database never has to survive a power cut,
    and on a busy machine each flush costs tens of milliseconds. Same results otherwise."""
    if url.startswith("postgresql"):
        return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c synchronous_commit=off"}}}
    return {}


@event.listens_for(Engine, "connect")
def _sqlite_without_flushes(connection, record):
    """SQLite's form of the same (tests only: this conftest is never imported by the app)."""
    if type(connection).__module__.startswith("sqlite3"):
        connection.execute("PRAGMA synchronous = OFF")


def _make_users() -> dict[str, int]:
    from consultations.users import create_user

    ids = {role: create_user(db.session, f"{role}@example.org", role, PASSWORD, role.title()).id
           for role in ROLES}
    db.session.commit()
    return ids


class DatabaseTemplates:
    """The starting databases of the session, built on first use: {(kind, with_users): copy source}."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.built: dict[tuple[str, bool], tuple[str, Path]] = {}
        self.postgres_url = os.environ.get("TEST_DATABASE_URL")
        self.admin = None  # on PostgreSQL, a connection that creates and drops the copies
        self.copies = 0
        if self.postgres_url:
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(normalise(self.postgres_url))
            self.url = url
            self.base = url.database
            self.admin = psycopg.connect(
                url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)

    # the copy source: a SQLite file or a PostgreSQL database name, and the instance folder
    def get(self, kind: str, with_users: bool) -> tuple[str, Path]:
        key = (kind, with_users)
        if key not in self.built:
            self.built[key] = self._build(kind, with_users) if self.admin else self._shared_file(kind, with_users)
        return self.built[key]

    def _shared_file(self, kind: str, with_users: bool) -> tuple[str, Path]:
        """On SQLite, the test processes of one run (xdist workers) share the files: the first to
        need one builds it, under a lock, and the others wait for it instead of building their own."""
        name = f"{kind}-users" if with_users else kind
        folder = self.folder / name
        with open(self.folder / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / "built").exists():
                shutil.rmtree(folder, ignore_errors=True)  # half built by a process that failed
                self._build(kind, with_users)
                (folder / "built").touch()
        return str(folder / "test.sqlite3"), folder / "instance"

    def _build(self, kind: str, with_users: bool) -> tuple[str, Path]:
        name = f"{kind}-users" if with_users else kind
        folder = self.folder / name
        folder.mkdir()
        if self.admin:
            source = f"{self.base}_tpl_{os.getpid()}_{name.replace('-', '_')}"
            self._sql(f'DROP DATABASE IF EXISTS "{source}"')
            self._sql(f'CREATE DATABASE "{source}"')
            url = self.url.set(database=source).render_as_string(hide_password=False)
        else:
            source = str(folder / "test.sqlite3")
            url = f"sqlite:///{source}"
        with pytest.MonkeyPatch.context() as env:
            env.delenv("DATABASE_URL", raising=False)
            env.setenv("TRACKER_INSTANCE_PATH", str(folder / "instance"))
            app = create_app(_template_config(url))
        app.jinja_env.bytecode_cache = TEMPLATE_CACHE
        with app.app_context():
            db.create_all()
            if with_users:
                _make_users()  # first, as the tests' fixtures did: demo load then leaves them alone
            db.session.remove()
        if kind != "empty":
            args = ["demo", "load"] + (["--content-only"] if kind == "demo-content" else [])
            result = app.test_cli_runner().invoke(args=args)
            assert result.exit_code == 0, result.output
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # PostgreSQL copies no database anyone is connected to
        app.extensions.pop("search_indexes", None)
        return source, folder / "instance"

    def copy(self, kind: str, with_users: bool, tmp_path: Path) -> str:
        """A fresh copy of that starting database for one test; its URL. The instance folder is
        copied to ``tmp_path / "instance"``."""
        source, instance = self.get(kind, with_users)
        if instance.exists():
            shutil.copytree(instance, tmp_path / "instance")
        if self.admin:
            self.copies += 1
            name = f"{self.base}_{os.getpid()}_{self.copies}"
            self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            return self.url.set(database=name).render_as_string(hide_password=False)
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        if self.admin:
            from sqlalchemy.engine import make_url

            self._sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        if self.admin:
            for source, _instance in self.built.values():
                self._sql(f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)')
            self.admin.close()

    def _sql(self, statement: str) -> None:
        self.admin.execute(statement)


def normalise(url: str) -> str:
    from tracker import normalise_database_url

    return normalise_database_url(url)


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory):
    if os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get("TEST_DATABASE_URL"):  # shared by the run's workers
        folder = tmp_path_factory.getbasetemp().parent / "templates"
        folder.mkdir(exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("templates")
    templates = DatabaseTemplates(folder)
    yield templates
    templates.close()


@pytest.fixture
def app(tmp_path, monkeypatch, request, database_templates):
    """The app on its own copy of a starting database: empty, or the demo when the test asks
    for ``demo_app`` or ``demo_content_app``; with the per-role users already in it when it asks
    for ``users`` too. ``@pytest.mark.app_config(NAME=value)`` adds settings."""
    wanted = [kind for name, kind in DEMO_FIXTURES.items() if name in request.fixturenames]
    assert len(wanted) <= 1, f"one starting database per test, not {wanted}"
    kind = wanted[0] if wanted else "empty"
    with_users = kind != "empty" and "users" in request.fixturenames
    url = database_templates.copy(kind, with_users, tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    marker = request.node.get_closest_marker("app_config")
    app = create_app({**_template_config(url), **(marker.kwargs if marker else {})})
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    app.extensions["test_database"] = (kind, with_users)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    database_templates.drop(url)


@pytest.fixture
def demo_app(app):
    """The app on a copy of the demo database (``demo load``, after the users if the test has them)."""
    return app


@pytest.fixture
def demo_content_app(app):
    """The app on a copy of ``demo load --content-only`` (after the users if the test has them)."""
    return app


@pytest.fixture
def demo_client(demo_app, client):
    return client


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
    from consultations.workflow import User

    with app.app_context():
        if app.extensions["test_database"][1]:  # the copied database has them already
            return {role: db.session.scalar(select(User.id).where(User.email == f"{role}@example.org"))
                    for role in ROLES}
        return _make_users()


@pytest.fixture
def sign_in(client, users):
    """sign_in(role) signs the test client in as that role's user."""

    def _sign_in(role: str):
        response = client.post("/sign-in", data={"email": f"{role}@example.org", "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _sign_in


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium per test process, launched when a browser test first needs it (a
    launch costs seconds). Each test opens its own context (``browser.new_context``: a fresh
    profile) and closes it, so nothing carries over from one test to the next."""
    from browser import chromium

    with chromium() as browser:
        yield browser
