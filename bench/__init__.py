"""Benchmarks: `make bench` (or `python -m bench`) prints figures; targets live here, not in tests."""
