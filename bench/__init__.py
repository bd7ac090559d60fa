"""Benchmarks: `make bench` (or `python -m bench`) prints figures; targets live here, not in tests."""
import os


def serve_on_loopback() -> None:
    """The page benchmarks run production apps (not TESTING) on the loopback only; a production app
    without a public address refuses requests (tracker/web/site_url.py), so give them one. Called by
    those benchmarks, never at import: the test suite imports bench.eval, and an address set in the
    environment then would change every app the later tests create."""
    os.environ.setdefault("TRACKER_PUBLIC_URL", "http://127.0.0.1")
