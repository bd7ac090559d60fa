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

Safeguards (see "Safeguards for publication" in the README): with the two-person rule (on
unless the installation turns it off) the person who drafted a decision, or last changed its
text, can neither approve nor publish it; a published decision is withdrawn with a public
reason, never deleted; publishing the last open decision of a consultation moves it to
"outcome published", and it moves back to "analysing" (the date cleared, both in the audit log)
as soon as a recommendation waits again: its decision withdrawn, or a new, restored or no longer
duplicate recommendation without a published decision (``install`` watches every flush for those).
``reopened`` tells the caller which consultations moved back, so staff can be told.

The actions that implement a decision are in ``consultations.actions``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, aliased, object_session, selectinload

from consultations import notifications, respondent_emails
from consultations.models import Consultation, Recommendation, Response, utcnow
from consultations.queries import ids_in_batches
from consultations.soft_delete import restore, soft_delete
from consultations.workflow import DECISION_OUTCOMES, Decision, User

MAX_WITHDRAWAL_REASON = 2_000


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
            .where(Recommendation.duplicate_of_id.in_(frontier))
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
        .where(Decision.recommendation_id == primary.id)
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
        _note_draft(session, decision, user_id)
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
            _note_draft(session, decision, user_id)
        session.flush()
    return decision


def _note_draft(session: Session, decision: Decision, user_id: int | None) -> None:
    """Approvers other than the drafter hear of a decision that has become a draft to approve."""
    notifications.note(session, "approval_needed",
                       [uid for uid in notifications.approver_ids(session) if uid != user_id],
                       notifications.decision_item(decision), actor_id=user_id)


def _ensure_live(decision: Decision) -> None:
    if decision.deleted_at is not None:
        raise DecisionError("This decision has been deleted. Restore it first.")


def _drafter_name(decision: Decision) -> str:
    session = object_session(decision)
    user = session.get(User, decision.decided_by_id) if session is not None else None
    return user.name if user is not None else "the person who drafted it"


def second_person_needed(decision: Decision, user_id: int | None, *, two_person_rule: bool = True) -> str | None:
    """Why ``user_id`` may not approve or publish ``decision`` under the two-person rule, or None.

    The person who drafted the decision or last changed its text must not be the one who
    approves or publishes it; the message says who must act instead. Unknown people (scripts
    acting as nobody) are not held to it.
    """
    if not two_person_rule or user_id is None or decision.decided_by_id != user_id:
        return None
    return (
        "You drafted this decision or last changed its text, so another approver must approve and publish it: "
        "this installation needs two people for publication. Ask an approver other than "
        f"{_drafter_name(decision)}."
    )


def approve(decision: Decision, user_id: int | None, *, two_person_rule: bool = True) -> Decision:
    """Approve a draft: its outcome and public rationale are ready to publish (by someone
    other than its drafter, under the two-person rule)."""
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
    refusal = second_person_needed(decision, user_id, two_person_rule=two_person_rule)
    if refusal:
        raise DecisionError(refusal)
    decision.state = "approved"
    decision.approved_by_id = user_id
    _flush(decision)
    session = object_session(decision)
    if session is not None:  # who may publish it hears it is waiting
        barred = {user_id} | ({decision.decided_by_id} if two_person_rule else set())
        notifications.note(session, "ready_to_publish",
                           [uid for uid in notifications.approver_ids(session) if uid not in barred],
                           notifications.decision_item(decision), actor_id=user_id)
    return decision


def publish(decision: Decision, user_id: int | None, now: dt.datetime | None = None, *,
            two_person_rule: bool = True, redaction_review: bool = False, settle: bool = True) -> Decision:
    """Make the approved working version the public one; a withdrawn decision published again
    is no longer withdrawn. When it answers the last open recommendations of its consultation,
    the consultation moves to "outcome published".

    With ``redaction_review`` (the web app passes the installation's ``REDACTION_REVIEW_REQUIRED``,
    on by default) it is refused while a response it would quote is not reviewed for redaction or
    has proposed redactions undecided (``consultations.redaction.publication_blocker``).

    Who published it is recorded by the audit log with the change of state. ``settle=False``
    leaves that to the caller (a bulk publish settles each consultation once, at the end).
    """
    _ensure_live(decision)
    if decision.state == "published":
        raise DecisionError("This decision is already published. Edit it to make a revision.")
    if decision.state != "approved":
        raise DecisionError("Approve the decision before publishing it.")
    refusal = second_person_needed(decision, user_id, two_person_rule=two_person_rule)
    if refusal:
        raise DecisionError(refusal)
    session = object_session(decision)
    if redaction_review and session is not None:
        from consultations.redaction import publication_blocker

        refusal = publication_blocker(session, decision_group(session, decision.recommendation))
        if refusal:
            raise DecisionError(refusal)
    decision.published_outcome = decision.outcome
    decision.published_rationale = decision.public_rationale
    decision.published_at = now or utcnow()
    decision.state = "published"
    decision.withdrawn_at = None
    decision.withdrawal_reason = None
    _flush(decision)
    if session is not None:
        respondent_emails.note_published(session, decision)  # their digest, enqueued at commit
    if session is not None and settle:
        settle_consultation(session, decision.recommendation.response.consultation, today=decision.published_at.date())
    return decision


def withdraw(decision: Decision, reason: str, now: dt.datetime | None = None) -> Decision:
    """Withdraw a published decision: the public pages keep the recommendation and say when and
    why the decision was withdrawn, instead of its outcome. Publishing it again reinstates it."""
    _ensure_live(decision)
    if decision.published_at is None:
        raise DecisionError("Only a published decision can be withdrawn. Delete it instead: the public never saw it.")
    if decision.withdrawn_at is not None:
        raise DecisionError("This decision is already withdrawn.")
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError("Give the reason for withdrawing the decision: the public pages show it.")
    if len(reason) > MAX_WITHDRAWAL_REASON:
        raise DecisionError(f"The reason must be {MAX_WITHDRAWAL_REASON:,} characters or fewer.")
    decision.withdrawn_at = now or utcnow()
    decision.withdrawal_reason = reason
    decision.state = "withdrawn"
    _flush(decision)
    session = object_session(decision)
    if session is not None and reopen_consultation(session, decision.recommendation.response.consultation):
        session.flush()
    return decision


def delete_decision(decision: Decision) -> Decision:
    """Soft delete: the decision disappears from pages and can be restored. A decision the
    public has seen is withdrawn instead, so its page says what happened to it."""
    _ensure_live(decision)
    if decision.published_at is not None:
        raise DecisionError(
            "This decision has been published, so it cannot be deleted: withdraw it instead, with a reason "
            "the public will see."
        )
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


def _open_recommendations(consultation_id: int):
    """Live recommendations of a consultation whose group has no published, unwithdrawn decision."""
    decision = aliased(Decision)
    answered = (
        select(decision.id)
        .where(decision.recommendation_id == func.coalesce(Recommendation.duplicate_of_id, Recommendation.id),
               decision.published_at.is_not(None), decision.withdrawn_at.is_(None))
        .exists()
    )
    return (select(func.count(Recommendation.id))
            .join(Response, Recommendation.response_id == Response.id)
            .where(Response.consultation_id == consultation_id, ~answered))


def recommendations_left(session: Session, consultation_id: int) -> int:
    """How many live recommendations of a consultation still wait for a published decision."""
    return session.scalar(_open_recommendations(consultation_id))


def settle_consultation(session: Session, consultation: Consultation, today: dt.date | None = None) -> bool:
    """Move the consultation to "outcome published" (with the date) once every live
    recommendation has a published decision; True when it moved."""
    if consultation.status in ("draft", "outcome published"):
        return False
    total = session.scalar(select(func.count(Recommendation.id)).join(Response)
                           .where(Response.consultation_id == consultation.id))
    if not total or recommendations_left(session, consultation.id):
        return False
    consultation.status = "outcome published"
    consultation.outcome_published_on = today or dt.date.today()
    session.flush()
    return True


REOPENED = "consultations_reopened"  # session.info: {consultation id: recommendations left}
_TO_CHECK = "consultations_to_check"  # session.info: responses whose consultation may have to move back


def reopen_consultation(session: Session, consultation: Consultation) -> bool:
    """Move a consultation out of "outcome published" (back to "analysing", the date cleared)
    when some of its recommendations wait for a published decision again; True when it moved.
    The move is noted in ``session.info`` for ``reopened``; the audit log records it when it is
    flushed (from the flush hook: by the next flush, at the latest the commit's)."""
    if consultation.status != "outcome published":
        return False
    left = recommendations_left(session, consultation.id)
    if not left:
        return False
    consultation.status = "analysing"
    consultation.outcome_published_on = None
    session.info.setdefault(REOPENED, {})[consultation.id] = left
    return True


def reopened(session: Session) -> dict[int, int]:
    """The consultations moved back from "outcome published" since the last call, with how many
    recommendations each has left ({id: count}); forgets them."""
    return session.info.pop(REOPENED, {})


def _changed(obj, *keys: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[key].history.has_changes() for key in keys)


def _note_new_work(session: Session, flush_context) -> None:
    """After each flush: the responses whose recommendations may now wait for a decision (a new
    recommendation, one restored or no longer a duplicate, a response restored)."""
    responses = session.info.setdefault(_TO_CHECK, set())
    for obj in session.new:
        if isinstance(obj, Recommendation):
            responses.add(obj.response_id)
    for obj in session.dirty:
        if isinstance(obj, Recommendation) and _changed(obj, "duplicate_of_id", "deleted_at", "response_id"):
            responses.add(obj.response_id)
        elif isinstance(obj, Response) and _changed(obj, "deleted_at"):
            responses.add(obj.id)
    if not responses:
        session.info.pop(_TO_CHECK, None)


def note_new_recommendations(session: Session, response_ids) -> None:
    """Recommendations inserted without the ORM (a bulk import) wait like any new one: their
    consultations are checked at the next flush, as ``_note_new_work`` does for ORM objects."""
    session.info.setdefault(_TO_CHECK, set()).update(response_ids)


def _reopen_after_flush(session: Session, flush_context) -> None:
    responses = session.info.pop(_TO_CHECK, None)
    if not responses:
        return
    settled = set(session.scalars(select(Consultation.id).where(Consultation.status == "outcome published")))
    if not settled:  # the usual case: one small query per flush that added work
        return
    affected = ids_in_batches(session, lambda batch: select(Response.consultation_id).where(
        Response.id.in_(batch), Response.consultation_id.in_(settled)), responses)
    for consultation_id in sorted(affected):
        reopen_consultation(session, session.get(Consultation, consultation_id))


def install() -> None:
    """Watch every flush for recommendations that wait again (called by the app factory with the
    audit log, or by a script using the domain without Flask; again changes nothing)."""
    if not event.contains(Session, "after_flush", _note_new_work):
        event.listen(Session, "after_flush", _note_new_work)
        event.listen(Session, "after_flush_postexec", _reopen_after_flush)
        event.listen(Session, "after_rollback", _forget)


def _forget(session: Session) -> None:
    """A rollback undoes the moves: nothing to tell."""
    session.info.pop(REOPENED, None)
    session.info.pop(_TO_CHECK, None)


def _flush(obj) -> None:
    session = object_session(obj)
    if session is not None:
        session.flush()
