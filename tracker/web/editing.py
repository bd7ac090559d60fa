"""Helpers every edit view uses: stale-form detection.

A form carries the version of the object it was loaded with. If the object has moved on
since, the view must not save: it shows what changed meanwhile (from the audit log) and
the user's own input, and the next save, made knowingly, goes through.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from consultations.audit import changes_since


class StaleEdit(Exception):
    """The object changed after the form was loaded; ``changes`` lists what changed."""

    def __init__(self, obj, changes):
        super().__init__(f"{type(obj).__name__} {obj.id} changed since version you edited")
        self.obj = obj
        self.changes = changes


def ensure_current(session: Session, obj, submitted_version: int | None) -> None:
    """Raise ``StaleEdit`` unless the form was loaded at the object's current version."""
    if submitted_version != obj.version_id:
        raise StaleEdit(obj, changes_since(session, obj, submitted_version or 0))
