"""Flask-SQLAlchemy bound to the domain metadata, and Flask-Migrate for Alembic."""
from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from consultations.models import Base

from . import models  # noqa: F401  (registers the workflow tables on the shared metadata)

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(directory=str(Path(__file__).with_name("migrations")))


def init_app(app):
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)


def ids_in_batches(session, query_for, ids, size: int = 500) -> set:
    """Run ``query_for(batch)`` over ``ids`` a batch at a time and collect the scalars: one
    ``IN (...)`` of thousands of ids would pass SQLite's and PostgreSQL's parameter limits."""
    found: set = set()
    ids = sorted(set(ids))
    for start in range(0, len(ids), size):
        found |= set(session.scalars(query_for(ids[start:start + size])))
    return found
