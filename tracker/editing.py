"""Helpers every edit view uses: stale-form detection and soft delete.

A form carries the version of the object it was loaded with. If the object has moved on
since, the view must not save: it shows what changed meanwhile (from the audit log) and
the user's own input, and the next save, made knowingly, goes through.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from consultations.models import utcnow

from .audit import changes_since


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


def soft_delete(obj) -> None:
    """Nothing is hard-deleted: mark it, so it can be restored and its history stays."""
    if obj.deleted_at is None:
        obj.deleted_at = utcnow()


def restore(obj) -> None:
    obj.deleted_at = None
