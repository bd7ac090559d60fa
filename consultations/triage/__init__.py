"""Triage: moving responses through review and putting their recommendations in order.

Plain functions on a SQLAlchemy session and model objects, usable from a script or a test
without Flask. Each one checks its input first and raises ``TriageError`` (a ``ValueError``
whose message says what was wrong and what to do) before changing anything; then it changes
the objects and flushes. None of them commits: the caller commits, or rolls back on error,
so a refused request leaves nothing half-saved. Nothing is ever hard-deleted: deleting sets
``deleted_at`` and restoring clears it. Users are referred to by id only, because this
package knows nothing of the web application's user model.

Corrections to recommendations (add, edit, split, merge) keep each one anchored to its
passage of the response text (``consultations.anchoring``), and every one of them leaves the
response's recommendations numbered in the order of the text (``order_by_text``).

One module per job: ``responses`` (status, assignment, delete and restore, consent),
``recommendations`` (keys, order, add, edit, move, delete and restore), ``splitting`` (split and
merge) and ``duplicate_marks``. Everything public is importable from ``consultations.triage``.
"""

from .responses import (
    ORGANISATION_TYPE_MAX, STATUS_FLOW, TriageError, allowed_statuses, assign, delete_response, ensure_open,
    restore_response, set_consent, set_status,
)
from .recommendations import (
    add_recommendation, delete_recommendation, edit_recommendation, move_recommendation,
    next_key, order_by_text, restore_recommendation,
)
from .duplicate_marks import clear_duplicate, mark_duplicate, primary_of, refuse_if_decided
from .splitting import Split, merge_recommendations, plan_part_keys, split_recommendation

__all__ = [
    "STATUS_FLOW",
    "TriageError",
    "add_recommendation",
    "allowed_statuses",
    "assign",
    "ensure_open",
    "clear_duplicate",
    "delete_recommendation",
    "delete_response",
    "edit_recommendation",
    "mark_duplicate",
    "merge_recommendations",
    "move_recommendation",
    "next_key",
    "primary_of",
    "refuse_if_decided",
    "restore_recommendation",
    "restore_response",
    "set_consent",
    "set_status",
    "split_recommendation",
]
