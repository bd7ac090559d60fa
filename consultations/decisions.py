"""Decisions on recommendations: record, approve, publish, delete and restore.

Plain functions, usable from a script or a test without a web request: they take the
session (or the decision) and the acting user's id, check everything, change objects and
flush, and never commit. Anything invalid raises ``DecisionError`` with a message that says
what was wrong and what to do, before anything is changed, so a caller that rolls back on
error never leaves half a change.

A decision answers a recommendation together with its duplicates: it is always stored
on the group's primary recommendation (the one the others are ``duplicate_of``). Its
working fields (``outcome``, ``public_rationale``) move draft -> approved -> published;
publishing copies them into ``published_outcome`` / ``published_rationale``, which is
what the public sees, so revising a published decision never unpublishes it. The audit
log keeps every earlier published text.

The actions that implement a decision are in ``consultations.actions``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from consultations.models import Recommendation, Response, utcnow
from consultations.soft_delete import restore, soft_delete
from consultations.workflow import DECISION_OUTCOMES, Decision


class DecisionError(ValueError):
    """A decision cannot be saved or moved to another state; the message says why."""


def primary_of(rec: Recommendation) -> Recommendation:
    """The recommendation whose decision ``rec`` shares: follow ``duplicate_of`` to the end.

    A cycle (which triage should never create) stops at the first recommendation seen twice.
    """
    seen = {rec.id}
    while rec.duplicate_of is not None and rec.duplicate_of.id not in seen:
        rec = rec.duplicate_of
        seen.add(rec.id)
    return rec


def decision_group(session: Session, primary: Recommendation) -> list[Recommendation]:
    """The primary and every live recommendation marked as a duplicate of it (directly or
    through another duplicate), with their responses and respondents loaded."""
    group = [primary]
    seen = {primary.id}
    frontier = [primary.id]
    while frontier:
        found = session.scalars(
            select(Recommendation)
            .where(Recommendation.duplicate_of_id.in_(frontier), Recommendation.deleted_at.is_(None))
            .options(selectinload(Recommendation.response).selectinload(Response.respondent))
            .order_by(Recommendation.id)
        ).all()
        found = [r for r in found if r.id not in seen]
        seen.update(r.id for r in found)
        group.extend(found)
        frontier = [r.id for r in found]
    return group


def decision_for(session: Session, rec: Recommendation) -> Decision | None:
    """The live decision answering ``rec`` (stored on its group's primary), if any."""
    primary = primary_of(rec)
    return session.scalar(
        select(Decision)
        .where(Decision.recommendation_id == primary.id, Decision.deleted_at.is_(None))
        .order_by(Decision.id.desc())
    )


def save_decision(
    session: Session,
    rec: Recommendation,
    outcome: str,
    public_rationale: str,
    internal_note: str,
    user_id: int | None,
) -> Decision:
    """Record the decision on ``rec``'s group, or edit the one it already has.

    Any change puts the decision back to draft: an approved one must be approved again,
    and a published one becomes a revision whose published text stays public until the
    revision is published. Saving with nothing changed changes nothing.
    """
    primary = primary_of(rec)
    if primary.deleted_at is not None:
        raise DecisionError(
            f"Recommendation {primary.key} has been deleted. Restore it before recording a decision."
        )
    if outcome not in DECISION_OUTCOMES:
        raise DecisionError(f"Choose an outcome: {', '.join(DECISION_OUTCOMES)}.")
    public_rationale = (public_rationale or "").strip()
    internal_note = (internal_note or "").strip()

    decision = decision_for(session, primary)
    if decision is None:
        decision = Decision(
            recommendation_id=primary.id,
            outcome=outcome,
            public_rationale=public_rationale,
            internal_note=internal_note,
            state="draft",
            decided_by_id=user_id,
        )
        session.add(decision)
        session.flush()
        return decision

    changed = (decision.outcome, decision.public_rationale, decision.internal_note) != (
        outcome, public_rationale, internal_note
    )
    if changed:
        decision.outcome = outcome
        decision.public_rationale = public_rationale
        decision.internal_note = internal_note
        decision.decided_by_id = user_id
        if decision.state != "draft":
            decision.state = "draft"
            decision.approved_by_id = None
        session.flush()
    return decision


def _ensure_live(decision: Decision) -> None:
    if decision.deleted_at is not None:
        raise DecisionError("This decision has been deleted. Restore it first.")


def approve(decision: Decision, user_id: int | None) -> Decision:
    """Approve a draft: its outcome and public rationale are ready to publish."""
    _ensure_live(decision)
    if decision.state == "approved":
        raise DecisionError("This decision is already approved. Publish it, or edit it to make changes.")
    if decision.state != "draft":
        raise DecisionError(
            "Only a draft can be approved. This decision is published and has no unpublished changes."
        )
    if not (decision.public_rationale or "").strip():
        raise DecisionError(
            "Write the public rationale before approving: the published page explains the decision with it."
        )
    decision.state = "approved"
    decision.approved_by_id = user_id
    _flush(decision)
    return decision


def publish(decision: Decision, user_id: int | None, now: dt.datetime | None = None) -> Decision:
    """Make the approved working version the public one.

    Who published it is recorded by the audit log with the change of state.
    """
    _ensure_live(decision)
    if decision.state == "published":
        raise DecisionError("This decision is already published. Edit it to make a revision.")
    if decision.state != "approved":
        raise DecisionError("Approve the decision before publishing it.")
    decision.published_outcome = decision.outcome
    decision.published_rationale = decision.public_rationale
    decision.published_at = now or utcnow()
    decision.state = "published"
    _flush(decision)
    return decision


def delete_decision(decision: Decision) -> Decision:
    """Soft delete: the decision disappears from pages and can be restored."""
    _ensure_live(decision)
    soft_delete(decision)
    _flush(decision)
    return decision


def restore_decision(session: Session, decision: Decision) -> Decision:
    """Bring a deleted decision back, unless its recommendation has another one by now."""
    if decision.deleted_at is None:
        raise DecisionError("This decision is not deleted.")
    other = session.scalar(
        select(Decision.id).where(
            Decision.recommendation_id == decision.recommendation_id,
            Decision.deleted_at.is_(None),
            Decision.id != decision.id,
        )
    )
    if other is not None:
        raise DecisionError(
            "This recommendation has a newer decision. Delete that one first if this one should replace it."
        )
    restore(decision)
    session.flush()
    return decision


def _flush(obj) -> None:
    session = object_session(obj)
    if session is not None:
        session.flush()
