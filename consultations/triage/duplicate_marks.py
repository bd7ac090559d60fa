"""Marking a recommendation as a duplicate of another (groups one level deep) and clearing it."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..soft_delete import WITH_DELETED
from ..models import Recommendation
from ..workflow import Decision
from .recommendations import _check_not_deleted as _check_live
from .responses import TriageError


def _duplicates_of(session: Session, ids: Iterable[int]) -> list[Recommendation]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.scalars(select(Recommendation).where(Recommendation.duplicate_of_id.in_(ids)),
                                execution_options=WITH_DELETED))


def primary_of(rec: Recommendation) -> Recommendation:
    """The recommendation a group of duplicates is decided on."""
    return rec.duplicate_of or rec


def mark_duplicate(session: Session, rec: Recommendation, target: Recommendation) -> Recommendation:
    """Record that ``rec`` makes the same point as ``target`` (in any response of the consultation).

    Groups stay one level deep: if the target is itself a duplicate, ``rec`` points at its
    primary, and recommendations that were duplicates of ``rec`` move to that primary too.
    If the target was a duplicate of ``rec``, the target becomes the primary of the group.
    Returns the primary.
    """
    session.flush()  # so foreign keys agree with relationships changed but not yet flushed
    _check_live(rec)
    if target is None:
        raise TriageError("That recommendation does not exist. Check its number and try again.")
    if target.id == rec.id:
        raise TriageError(f"{rec.key} cannot be a duplicate of itself. Choose another recommendation.")
    if target.deleted_at is not None:
        raise TriageError(f"{target.key} has been deleted. Choose a recommendation that has not been deleted.")
    if target.response.deleted_at is not None:
        raise TriageError(f"{target.key} belongs to a deleted response. Choose another recommendation.")
    if target.response.consultation_id != rec.response.consultation_id:
        raise TriageError(
            f"{target.key} answers another consultation. Duplicates must come from the same consultation."
        )
    primary = target
    if target.duplicate_of_id is not None and target.duplicate_of_id != rec.id:
        primary = target.duplicate_of
        if primary.deleted_at is not None:
            raise TriageError(
                f"{target.key} is marked as a duplicate of {primary.key}, which has been deleted. "
                f"Clear {target.key}'s duplicate mark or restore {primary.key} first."
            )
    if rec.duplicate_of_id == primary.id:
        raise TriageError(f"{rec.key} is already marked as a duplicate of {primary.key}.")
    if primary.id == target.id and target.duplicate_of_id == rec.id:
        target.duplicate_of = None  # the target was in rec's group: it leads the group now
    for duplicate in _duplicates_of(session, [rec.id]):
        if duplicate.id != primary.id:
            duplicate.duplicate_of = primary
    rec.duplicate_of = primary
    session.flush()
    return primary


def clear_duplicate(rec: Recommendation) -> Recommendation:
    if rec.duplicate_of_id is None:
        raise TriageError(f"{rec.key} is not marked as a duplicate, so there is nothing to clear.")
    _check_live(rec)
    rec.duplicate_of = None
    return rec


def refuse_if_decided(session: Session, recs: Iterable[Recommendation]) -> None:
    """Refuse to fold a recommendation with a decision of its own into another (merging it, or
    marking it a duplicate): decisions follow a duplicate to its primary, so that decision
    would no longer be found. (Deleted decisions are hidden by ``soft_delete`` and do not count.)"""
    decided = session.scalars(
        select(Recommendation.key)
        .join(Decision, Decision.recommendation_id == Recommendation.id)
        .where(Recommendation.id.in_([r.id for r in recs]))
    ).all()
    if decided:
        raise TriageError(
            f"{', '.join(decided)} already {'has a decision' if len(decided) == 1 else 'have decisions'}. "
            "Delete that decision first (it stays in the history), or keep this recommendation and "
            "record the decision on it."
        )
