"""Flask-SQLAlchemy bound to the domain metadata, and Flask-Migrate for Alembic."""
from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from consultations import audit, decisions, notifications, publication_stamp, soft_delete
from consultations.models import Base

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(directory=str(Path(__file__).with_name("migrations")))


def init_app(app):
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    audit.install()
    notifications.install()  # staff emails noted in a transaction are enqueued as it commits
    soft_delete.install()  # every session: the app's, the indexer's after-commit reader, import jobs'
    decisions.install()  # a consultation leaves "outcome published" when a recommendation waits again
    publication_stamp.install()  # a commit that changes anything public gives public pages' caches a new stamp
