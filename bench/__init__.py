"""Benchmarks: `make bench` (or `python -m bench`) prints figures; targets live here, not in tests."""
import os


def serve_on_loopback() -> None:
    """The page benchmarks run production apps (not TESTING) on the loopback only; a production app
    without a public address refuses requests (tracker/web/site_url.py), so give them one. Called by
    those benchmarks, never at import: the test suite imports bench.eval, and an address set in the
    environment then would change every app the later tests create."""
    os.environ.setdefault("TRACKER_PUBLIC_URL", "http://127.0.0.1")


def bench_app(folder, **settings):
    """A production-like app on a SQLite file and a search index in ``folder``, with a fast
    password hash for the benchmark's own users; its schema created."""
    from tracker import create_app
    from tracker.db import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "SECRET_KEY": "bench",
                      "SEARCH_INDEX_DIR": f"{folder}/index", "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **settings})
    with app.app_context():
        db.create_all()
    return app
