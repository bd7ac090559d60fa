"""What the indexes raise when they cannot be written (shared by the index and its bulk writer)."""
from __future__ import annotations


class IndexBusy(Exception):
    """The index could not be written now (lock held past the timeout, disk error, or its
    schema is out of date). The database change stands: record the ids as dirty and let
    ``sync`` (or ``rebuild``) catch up."""


class IndexUnwritable(IndexBusy):
    """The index folder cannot be written at all (no permission, read-only or full disk):
    unlike a held lock, waiting will not help; someone must fix the folder."""
