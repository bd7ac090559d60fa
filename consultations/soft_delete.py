"""Soft delete: nothing is hard-deleted; a deleted object is marked, so it can be restored and its
history stays in the audit log."""
from __future__ import annotations

from consultations.models import utcnow


def soft_delete(obj) -> None:
    """Mark ``obj`` deleted (once: deleting again keeps the first time)."""
    if obj.deleted_at is None:
        obj.deleted_at = utcnow()


def restore(obj) -> None:
    obj.deleted_at = None
