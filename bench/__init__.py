"""Benchmarks: `make bench` (or `python -m bench`) prints figures; targets live here, not in tests."""
import os

# The benchmarks run production apps (not TESTING) on the loopback only; a production app
# without a public address refuses requests (tracker/site_url.py), so give them one.
os.environ.setdefault("TRACKER_PUBLIC_URL", "http://127.0.0.1")
