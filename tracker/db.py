"""Flask-SQLAlchemy bound to the domain metadata, and Flask-Migrate for Alembic.

Flask-Migrate is set up when a migration first needs it (the ``db`` commands, or its functions
such as ``flask_migrate.upgrade``): importing it imports Alembic, a tenth of a second of every
start-up that no request and no other command needs.
"""
import sqlite3
from pathlib import Path

from sqlalchemy import event

from flask_sqlalchemy import SQLAlchemy

from consultations import audit, decisions, notifications, publication_stamp, soft_delete
from consultations.models import Base
from tracker.commands.lazy import LazyCommand

db = SQLAlchemy(metadata=Base.metadata)
MIGRATIONS = str(Path(__file__).with_name("migrations"))


def init_app(app):
    db.init_app(app)
    app.extensions["migrate"] = _MigrateOnFirstUse(app)
    app.cli.add_command(LazyCommand("db", "flask_migrate.cli:db", help="Perform database migrations."))
    audit.install()
    notifications.install()  # staff emails noted in a transaction are enqueued as it commits
    soft_delete.install()  # every session: the app's, the indexer's after-commit reader, import jobs'
    decisions.install()  # a consultation leaves "outcome published" when a recommendation waits again
    publication_stamp.install()  # a commit that changes anything public gives public pages' caches a new stamp
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "checkin", keep_sqlite_statistics)
        elif db.engine.dialect.name == "postgresql":
            event.listen(db.engine, "connect", without_jit)


def keep_sqlite_statistics(dbapi_connection, connection_record) -> None:
    """SQLite gathers no statistics unless asked (PostgreSQL's autovacuum does), and without them
    its planner sorts every recommendation for the first page of a list instead of walking the
    index in order (0.2 s at 300,000). As SQLite advises for long-lived connections, each runs
    ``PRAGMA optimize`` as it goes back to the pool: usually nothing, else an ANALYZE of the tables
    its queries used, sampled (``analysis_limit``) to take milliseconds. Busy: the next time."""
    if dbapi_connection is None:
        return
    try:
        dbapi_connection.execute("PRAGMA analysis_limit=400")
        dbapi_connection.execute("PRAGMA optimize")
    except sqlite3.OperationalError:  # another connection is writing
        pass


def without_jit(dbapi_connection, connection_record) -> None:
    """PostgreSQL compiles a query to machine code once its estimated cost is high, as a count of
    every recommendation's states is (10 million): compiling took 1.6 s of the list's 3.3 s count
    at 314,680 recommendations, more than it saved. The app's queries are short or counted
    once, so its connections do without (``jit = off``, set once per connection)."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET in a transaction that rolls back would not hold
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
    finally:
        dbapi_connection.autocommit = autocommit


class _MigrateOnFirstUse:
    """Stands for Flask-Migrate's ``app.extensions["migrate"]`` until something reads it, then sets
    Flask-Migrate up, which puts its own there, and answers from that."""

    def __init__(self, app):
        self._app = app

    def __getattr__(self, name):
        from flask_migrate import Migrate

        Migrate(self._app, db, directory=MIGRATIONS, render_as_batch=True)
        return getattr(self._app.extensions["migrate"], name)
