"""What came in and what it says: consultations, responses, recommendations, frameworks.

Pure domain code. Service functions take a SQLAlchemy session, ``flush()`` and return
objects; the caller (a view, a CLI command, a test) commits or rolls back.
"""
