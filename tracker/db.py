"""Flask-SQLAlchemy bound to the domain metadata, and Flask-Migrate for Alembic.

Flask-Migrate is set up when a migration first needs it (the ``db`` commands, or its functions
such as ``flask_migrate.upgrade``): importing it imports Alembic, a tenth of a second of every
start-up that no request and no other command needs.
"""
from pathlib import Path

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


class _MigrateOnFirstUse:
    """Stands for Flask-Migrate's ``app.extensions["migrate"]`` until something reads it, then sets
    Flask-Migrate up, which puts its own there, and answers from that."""

    def __init__(self, app):
        self._app = app

    def __getattr__(self, name):
        from flask_migrate import Migrate

        Migrate(self._app, db, directory=MIGRATIONS, render_as_batch=True)
        return getattr(self._app.extensions["migrate"], name)
