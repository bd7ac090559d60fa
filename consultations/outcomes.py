"""Decisions on recommendations and the actions that implement them.

Plain functions, usable from a script or a test without a web request: they take the
session (or the objects) and the acting user's id, check everything, change objects and
flush, and never commit. Anything invalid raises ``DecisionError`` or ``ActionError``
with a message that says what was wrong and what to do, before anything is changed, so
a caller that rolls back on error never leaves half a change.

A decision answers a recommendation together with its duplicates: it is always stored
on the group's primary recommendation (the one the others are ``duplicate_of``). Its
working fields (``outcome``, ``public_rationale``) move draft -> approved -> published;
publishing copies them into ``published_outcome`` / ``published_rationale``, which is
what the public sees, so revising a published decision never unpublishes it. The audit
log keeps every earlier published text.

Whether an action is overdue is computed from its due date and status, never stored.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, object_session, selectinload

from consultations.models import Recommendation, Response, utcnow

from consultations.soft_delete import restore, soft_delete
from consultations.workflow import ACTION_STATUSES, DECISION_OUTCOMES, Action, ActionUpdate, Decision
from consultations.vocabulary import FINISHED_ACTION_STATUSES as CLOSED_STATUSES

# Statuses after which an action can no longer be late.
MAX_OWNER_LENGTH = 200
MAX_URL_LENGTH = 1000


class DecisionError(ValueError):
    """A decision cannot be saved or moved to another state; the message says why."""


class ActionError(ValueError):
    """An action or update is not valid; the message says what to correct."""


# ---------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Actions and updates
# ---------------------------------------------------------------------------


def is_overdue(action: Action, today: dt.date) -> bool:
    """Due before today and still open (not implemented, superseded or withdrawn)."""
    return action.due_on is not None and action.due_on < today and action.status not in CLOSED_STATUSES


def days_overdue(action: Action, today: dt.date) -> int:
    """How many days past its due date an open action is (0 when it is not overdue)."""
    return (today - action.due_on).days if is_overdue(action, today) else 0


def overdue_clause(today: dt.date):
    """``is_overdue`` as a SQL condition, for filters and counts."""
    return (Action.due_on < today) & Action.status.not_in(CLOSED_STATUSES)


def _clean_text(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionError(message)
    return value


def _check_action_fields(description, owner, due_on, status, progress) -> tuple[str, str]:
    description = _clean_text(description, "Describe the action.")
    owner = _clean_text(owner, "Enter who owns the action: a team or a person.")
    if len(owner) > MAX_OWNER_LENGTH:
        raise ActionError(f"The owner must be {MAX_OWNER_LENGTH} characters or fewer.")
    if not isinstance(due_on, dt.date) or isinstance(due_on, dt.datetime):
        raise ActionError("Enter the date the action is due.")
    if status not in ACTION_STATUSES:
        raise ActionError(f"Choose a status: {', '.join(ACTION_STATUSES)}.")
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ActionError("Progress must be a whole number from 0 to 100.")
    return description, owner


def add_action(
    session: Session,
    decision: Decision,
    description: str,
    owner: str,
    due_on: dt.date,
    status: str = "not started",
    progress: int = 0,
    today: dt.date | None = None,
) -> Action:
    """A new piece of implementation work under a live decision; due today or later."""
    if decision.deleted_at is not None:
        raise ActionError("This decision has been deleted. Restore it before adding actions.")
    description, owner = _check_action_fields(description, owner, due_on, status, progress)
    today = today or dt.date.today()
    if due_on < today:
        raise ActionError(f"The due date must be today or in the future (today is {_long_date(today)}).")
    action = Action(decision=decision, description=description, owner=owner, due_on=due_on,
                    status=status, progress=progress)
    session.add(action)
    session.flush()
    return action


def edit_action(
    action: Action,
    description: str,
    owner: str,
    due_on: dt.date,
    status: str,
    progress: int,
) -> Action:
    """Change an action. A new due date may not be before the day the action was created."""
    if action.deleted_at is not None:
        raise ActionError("This action has been deleted. Restore it before changing it.")
    description, owner = _check_action_fields(description, owner, due_on, status, progress)
    created_on = (action.created_at or utcnow()).date()
    if due_on != action.due_on and due_on < created_on:
        raise ActionError(
            f"The due date cannot be before the action was created ({_long_date(created_on)})."
        )
    action.description = description
    action.owner = owner
    action.due_on = due_on
    action.status = status
    action.progress = progress
    _flush(action)
    return action


def check_evidence_url(url: str | None) -> str | None:
    """An optional web address: empty means none, otherwise a full http(s) URL with a host."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ActionError(
            "The evidence link must be a web address starting with http:// or https://, "
            "for example https://www.gov.uk/report."
        )
    if len(url) > MAX_URL_LENGTH:
        raise ActionError(f"The evidence link must be {MAX_URL_LENGTH} characters or fewer.")
    return url


def add_update(
    session: Session,
    action: Action,
    on: dt.date,
    text: str,
    evidence_url: str | None,
    new_status: str | None,
    is_public: bool,
    user_id: int | None,
    today: dt.date | None = None,
) -> ActionUpdate:
    """A dated progress note. A new status, if given, is applied to the action as well."""
    if action.deleted_at is not None:
        raise ActionError("This action has been deleted. Restore it before adding updates.")
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise ActionError("Enter the date of the update.")
    today = today or dt.date.today()
    if on > today:
        raise ActionError("The date of the update must be today or in the past.")
    text = _clean_text(text, "Say what has happened.")
    evidence_url = check_evidence_url(evidence_url)
    new_status = new_status or None
    if new_status is not None and new_status not in ACTION_STATUSES:
        raise ActionError(f"Choose a status: {', '.join(ACTION_STATUSES)}, or leave it unchanged.")
    update = ActionUpdate(action=action, on=on, text=text, evidence_url=evidence_url,
                          new_status=new_status, is_public=bool(is_public), created_by_id=user_id)
    session.add(update)
    if new_status is not None:
        action.status = new_status
    session.flush()
    return update


def delete_action(action: Action) -> Action:
    if action.deleted_at is not None:
        raise ActionError("This action is already deleted.")
    soft_delete(action)
    _flush(action)
    return action


def restore_action(action: Action) -> Action:
    if action.deleted_at is None:
        raise ActionError("This action is not deleted.")
    restore(action)
    _flush(action)
    return action


# ---------------------------------------------------------------------------
# The implementation dashboard
# ---------------------------------------------------------------------------


def live_actions():
    """``select(Action)`` limited to live actions under live decisions on live recommendations
    and responses, joined so callers can filter and sort on any of them."""
    return (
        select(Action)
        .join(Action.decision)
        .join(Decision.recommendation)
        .join(Recommendation.response)
        .where(
            Action.deleted_at.is_(None),
            Decision.deleted_at.is_(None),
            Recommendation.deleted_at.is_(None),
            Response.deleted_at.is_(None),
        )
    )


@dataclass
class DashboardCounts:
    by_status: dict[str, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def dashboard_counts(session: Session, today: dt.date) -> DashboardCounts:
    """Live actions per status (every status, zero included) and how many are overdue: one query."""
    base = live_actions().subquery()
    overdue = case(
        ((base.c.due_on < today) & base.c.status.not_in(CLOSED_STATUSES), 1), else_=0
    )
    rows = session.execute(
        select(base.c.status, func.count(), func.coalesce(func.sum(overdue), 0)).group_by(base.c.status)
    ).all()
    by_status = dict.fromkeys(ACTION_STATUSES, 0)
    total_overdue = 0
    for status, count, late in rows:
        by_status[status] = by_status.get(status, 0) + count
        total_overdue += int(late)
    return DashboardCounts(by_status=by_status, overdue=total_overdue)


# ---------------------------------------------------------------------------


def _flush(obj) -> None:
    session = object_session(obj)
    if session is not None:
        session.flush()


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
