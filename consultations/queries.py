"""Query helpers the domain and the web app share."""
from __future__ import annotations


def ids_in_batches(session, query_for, ids, size: int = 500) -> set:
    """Run ``query_for(batch)`` over ``ids`` a batch at a time and collect the scalars: one
    ``IN (...)`` of thousands of ids would pass SQLite's and PostgreSQL's parameter limits."""
    found: set = set()
    ids = sorted(set(ids))
    for start in range(0, len(ids), size):
        found |= set(session.scalars(query_for(ids[start:start + size])))
    return found
