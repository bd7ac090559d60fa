"""Full-text search over plain documents (Whoosh, via the ``whoosh-reloaded`` distribution).

Knows nothing of Flask or the database models: it takes and returns plain dicts.
The index itself is built in the search issue; this package is reserved for it.
"""
