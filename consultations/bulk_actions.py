"""Bulk actions on recommendations chosen in the staff list: confirm suggested links above a
score, assign their responses, draft the same decision from an answer template, approve,
publish.

Each action has two halves, both Flask-free:

- ``plan_*`` says exactly what would change, item by item, and what would not and why, in a
  fixed number of queries whatever the number of recommendations (the confirmation page);
- ``apply_*`` takes what was shown (each item's key and the version it was shown at) and
  changes each item through the same single-item rule a staff page uses (``linking``,
  ``triage.responses.assign``, ``decisions``), so each is audited on its own. An item that
  changed since it was shown, or that its rule refuses, is skipped with the reason, never
  overwritten. Nothing commits: the caller commits the whole batch as one transaction.

``ids`` is anything ``Recommendation.id.in_`` takes: a list of ids or
``recommendation_list.matching_ids(filters)`` for "all matching this filter".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from consultations import decisions as decision_rules
from consultations import linking
from consultations.answer_templates import AnswerTemplate
from consultations.frameworks.importing import current_items
from consultations.models import Consultation, Link, Recommendation, Respondent, Response
from consultations.suggest import SuggestionIndex
from consultations.triage.responses import assign as assign_responses
from consultations.workflow import Decision, User

CHANGED_MEANWHILE = "It changed after you saw this list. Look at it again before changing it."


class BulkActionError(ValueError):
    """The whole batch cannot run (no item chosen, an unknown person or template)."""


@dataclass(frozen=True)
class Planned:
    """One change the confirmation page lists and the POST sends back (``key``, ``version``)."""

    key: str
    version: int
    recommendation: str  # "R3 from Alice Smith"
    change: str  # what will change, in words
    public_outcome: str | None = None  # publishing: what becomes public
    public_rationale: str | None = None


@dataclass
class Plan:
    changes: list[Planned] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)  # (recommendation, why not)


@dataclass
class Result:
    done: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item, why)


def _label(key: str, respondent: str) -> str:
    return f"{key} from {respondent}"


def _require(ids) -> None:
    if isinstance(ids, (list, tuple, set)) and not ids:
        raise BulkActionError("Select at least one recommendation")


# ---------------------------------------------------------------------------
# Confirm suggested links above a score
# ---------------------------------------------------------------------------


def _recommendations_with_names(session: Session, ids):
    return session.execute(
        select(Recommendation.id, Recommendation.key, Recommendation.text, Recommendation.version_id,
               Respondent.name, Consultation.body)
        .join(Response, Response.id == Recommendation.response_id)
        .join(Respondent, Respondent.id == Response.respondent_id)
        .join(Consultation, Consultation.id == Response.consultation_id)
        .where(Recommendation.id.in_(ids))
        .order_by(Recommendation.id)
    ).all()


def plan_confirm_links(session: Session, ids, min_score: float) -> Plan:
    """Every suggestion scoring at least ``min_score`` for each recommendation, leaving out items it
    is already linked to (a rejected link is never suggested again): four queries."""
    _require(ids)
    index = SuggestionIndex(current_items(session))
    rows = _recommendations_with_names(session, ids)
    linked: dict[int, set[int]] = {}
    for rec_id, item_id in session.execute(
            select(Link.recommendation_id, Link.item_id)
            .where(Link.recommendation_id.in_(ids))):
        linked.setdefault(rec_id, set()).add(item_id)
    plan = Plan()
    for rec_id, key, text, version, respondent, body in rows:
        found = index.suggest(text, exclude=linked.get(rec_id, ()), limit=None, min_score=min_score,
                              ignore_words=[body or "", respondent or ""])
        if not found:
            plan.unchanged.append((_label(key, respondent), f"No suggestion scores {min_score:.2f} or more"))
        for s in found:
            words = f", matching {', '.join(s.evidence)}" if s.evidence else ""
            plan.changes.append(Planned(
                f"{rec_id}-{s.item.id}", version, _label(key, respondent),
                f"Link to {s.item.code} {s.item.title} (score {s.score:.2f}{words})"))
    return plan


def apply_confirm_links(session: Session, shown: dict[str, int], min_score: float, user_id: int | None) -> Result:
    """Confirm each shown suggestion whose recommendation is unchanged and still scores enough."""
    index = SuggestionIndex(current_items(session))
    result = Result()
    for key, version in shown.items():
        rec_id, _, item_id = key.partition("-")
        rec = session.get(Recommendation, int(rec_id), options=[
            selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Recommendation.response).selectinload(Response.consultation)])
        if rec is None:
            result.skipped.append((f"Recommendation {rec_id}", "It has been deleted."))
            continue
        label = _label(rec.key, rec.response.respondent.name)
        if rec.version_id != version:
            result.skipped.append((label, CHANGED_MEANWHILE))
            continue
        suggestion = index.score(rec.text, int(item_id),
                                 ignore_words=[rec.response.consultation.body or "", rec.response.respondent.name or ""])
        if suggestion is None:
            result.skipped.append((label, "The standard is no longer in the current version of its framework."))
            continue
        if suggestion.score < min_score or suggestion.score <= 0:
            result.skipped.append((label, f"{suggestion.item.code} now scores {suggestion.score:.2f}, below {min_score:.2f}."))
            continue
        existing = linking.existing_link(session, rec, suggestion.item)
        if existing is not None:
            why = ("was rejected before: confirm it on the recommendation's links page" if existing.status == "rejected"
                   else "is already linked")
            result.skipped.append((label, f"{suggestion.item.code} {why}."))
            continue
        try:
            linking.accept_suggestion(session, rec, suggestion, user_id)
        except ValueError as refusal:
            result.skipped.append((label, str(refusal)))
            continue
        result.done.append(f"{label}: linked to {suggestion.item.code}")
    return result


# ---------------------------------------------------------------------------
# Assign the responses
# ---------------------------------------------------------------------------


def _active_user(session: Session, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise BulkActionError("Choose an active member of staff to assign the responses to")
    return user


def plan_assign(session: Session, ids, assignee_id: int | None) -> Plan:
    """The responses of these recommendations, each once, with who has them now: two queries."""
    _require(ids)
    assignee = _active_user(session, assignee_id)
    new_name = assignee.name if assignee else "nobody"
    current = aliased(User)
    rows = session.execute(
        select(Response.id, Response.version_id, Response.assignee_id, Respondent.name, current.name,
               func.count(Recommendation.id))
        .join(Response, Response.id == Recommendation.response_id)
        .join(Respondent, Respondent.id == Response.respondent_id)
        .outerjoin(current, current.id == Response.assignee_id)
        .where(Recommendation.id.in_(ids))
        .group_by(Response.id, Response.version_id, Response.assignee_id, Respondent.name, current.name)
        .order_by(Respondent.name, Response.id)
    ).all()
    plan = Plan()
    for response_id, version, assignee_now, respondent, name_now, n in rows:
        what = f"Response from {respondent} ({n} selected {'recommendation' if n == 1 else 'recommendations'})"
        if assignee_now == assignee_id:
            plan.unchanged.append((what, f"Already assigned to {new_name}"))
        else:
            plan.changes.append(Planned(str(response_id), version, what,
                                        f"Assigned to {name_now or 'nobody'}, will be assigned to {new_name}"))
    return plan


def apply_assign(session: Session, shown: dict[str, int], assignee_id: int | None) -> Result:
    assignee = _active_user(session, assignee_id)
    responses = {r.id: r for r in session.scalars(
        select(Response).where(Response.id.in_([int(k) for k in shown]))
        .options(selectinload(Response.respondent)))}
    result = Result()
    for key, version in shown.items():
        response = responses.get(int(key))
        if response is None:
            result.skipped.append((f"Response {key}", "It has been deleted."))
            continue
        label = f"Response from {response.respondent.name}"
        if response.version_id != version:
            result.skipped.append((label, CHANGED_MEANWHILE))
            continue
        try:
            assign_responses(session, [response], assignee_id)
        except ValueError as refusal:
            result.skipped.append((label, str(refusal)))
            continue
        result.done.append(f"{label}: assigned to {assignee.name if assignee else 'nobody'}")
    return result


# ---------------------------------------------------------------------------
# Decisions: draft from a template, approve, publish
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """A decision group (its primary recommendation) and its live decision, if any."""

    primary_id: int
    label: str
    decision_id: int | None
    state: str | None
    outcome: str | None
    public_rationale: str | None
    version: int  # the decision's, or 0 before there is one


def _groups(session: Session, ids) -> list[_Group]:
    """The decision groups of these recommendations, each once: one query."""
    primaries = select(func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)).where(
        Recommendation.id.in_(ids))
    rows = session.execute(
        select(Recommendation.id, Recommendation.key, Respondent.name, Decision.id, Decision.state,
               Decision.outcome, Decision.public_rationale, Decision.version_id)
        .join(Response, Response.id == Recommendation.response_id)
        .join(Respondent, Respondent.id == Response.respondent_id)
        .outerjoin(Decision, Decision.recommendation_id == Recommendation.id)
        .where(Recommendation.id.in_(primaries))
        .order_by(Recommendation.id, Decision.id)
    ).all()
    groups: dict[int, _Group] = {}
    for rec_id, key, respondent, decision_id, state, outcome, rationale, version in rows:
        # the newest live decision wins, as decisions.decision_for chooses it
        groups[rec_id] = _Group(rec_id, _label(key, respondent), decision_id, state, outcome, rationale, version or 0)
    return list(groups.values())


def template_or_refuse(session: Session, template_id: int | None) -> AnswerTemplate:
    template = session.get(AnswerTemplate, template_id) if template_id is not None else None
    if template is None:
        raise BulkActionError("Choose an answer template")
    return template


def plan_draft(session: Session, ids, template: AnswerTemplate) -> Plan:
    """Each decision group gets the template's outcome and public rationale as a draft: one query."""
    _require(ids)
    plan = Plan()
    for group in _groups(session, ids):
        if group.decision_id is not None and (group.outcome, (group.public_rationale or "").strip()) == (
                template.outcome, template.public_rationale.strip()):
            plan.unchanged.append((group.label, "Already has this outcome and rationale"))
            continue
        if group.decision_id is None:
            change = f"New draft decision: {template.outcome}"
        elif group.state == "published":
            change = (f"Revision of the published decision ({group.outcome}) as a draft: {template.outcome}. "
                      "The public sees the published text until the revision is published")
        else:
            change = f"{group.state.capitalize()} decision ({group.outcome}) becomes a draft: {template.outcome}"
        plan.changes.append(Planned(str(group.primary_id), group.version, group.label, change))
    return plan


def apply_draft(session: Session, shown: dict[str, int], template: AnswerTemplate, user_id: int | None) -> Result:
    result = Result()
    for key, version in shown.items():
        rec = session.get(Recommendation, int(key), options=[
            selectinload(Recommendation.response).selectinload(Response.respondent)])
        if rec is None:
            result.skipped.append((f"Recommendation {key}", "It has been deleted."))
            continue
        label = _label(rec.key, rec.response.respondent.name)
        decision = decision_rules.decision_for(session, rec)
        if (decision.version_id if decision is not None else 0) != version:
            result.skipped.append((label, CHANGED_MEANWHILE))
            continue
        try:
            decision_rules.save_decision(session, rec, template.outcome, template.public_rationale,
                                         decision.internal_note if decision is not None else "", user_id)
        except ValueError as refusal:
            result.skipped.append((label, str(refusal)))
            continue
        result.done.append(f"{label}: draft decision, {template.outcome}")
    return result


def plan_approve(session: Session, ids) -> Plan:
    """Drafts with a public rationale become approved: one query."""
    _require(ids)
    plan = Plan()
    for group in _groups(session, ids):
        if group.decision_id is None:
            plan.unchanged.append((group.label, "No decision yet"))
        elif group.state != "draft":
            plan.unchanged.append((group.label, f"The decision is {group.state}, not a draft"))
        elif not (group.public_rationale or "").strip():
            plan.unchanged.append((group.label, "The draft has no public rationale"))
        else:
            plan.changes.append(Planned(str(group.decision_id), group.version, group.label,
                                        f"Draft ({group.outcome}) becomes approved"))
    return plan


def plan_publish(session: Session, ids) -> Plan:
    """Approved decisions become public; each item carries exactly the outcome and rationale the
    public will read: one query."""
    _require(ids)
    plan = Plan()
    for group in _groups(session, ids):
        if group.decision_id is None:
            plan.unchanged.append((group.label, "No decision yet"))
        elif group.state != "approved":
            plan.unchanged.append((group.label, f"The decision is {group.state}, not approved"))
        else:
            plan.changes.append(Planned(str(group.decision_id), group.version, group.label, "Published",
                                        public_outcome=group.outcome, public_rationale=group.public_rationale))
    return plan


def _apply_to_decisions(session: Session, shown: dict[str, int], change, done: str) -> Result:
    decisions = {d.id: d for d in session.scalars(
        select(Decision).where(Decision.id.in_([int(k) for k in shown]))
        .options(selectinload(Decision.recommendation).selectinload(Recommendation.response)
                 .selectinload(Response.respondent),
                 selectinload(Decision.recommendation).selectinload(Recommendation.response)
                 .selectinload(Response.consultation)))}
    result = Result()
    for key, version in shown.items():
        decision = decisions.get(int(key))
        if decision is None:
            result.skipped.append((f"Decision {key}", "It has been deleted."))
            continue
        rec = decision.recommendation
        label = _label(rec.key, rec.response.respondent.name)
        if decision.version_id != version:
            result.skipped.append((label, CHANGED_MEANWHILE))
            continue
        try:
            change(decision)
        except ValueError as refusal:
            result.skipped.append((label, str(refusal)))
            continue
        result.done.append(f"{label}: {done}")
    return result


def apply_approve(session: Session, shown: dict[str, int], user_id: int | None, *,
                  two_person_rule: bool = True) -> Result:
    """Approve each; one its drafter may not approve (the two-person rule) is skipped with why."""
    return _apply_to_decisions(
        session, shown, lambda d: decision_rules.approve(d, user_id, two_person_rule=two_person_rule), "approved")


def apply_publish(session: Session, shown: dict[str, int], user_id: int | None, *,
                  two_person_rule: bool = True, redaction_review: bool = False) -> Result:
    """Publish each (one whose responses are not reviewed for redaction, when required, is skipped
    with why), then settle each consultation they belong to once (not once per decision:
    counting a consultation's open recommendations after every one made 1,000 quadratic)."""
    consultations = {}

    def publish(decision):
        decision_rules.publish(decision, user_id, two_person_rule=two_person_rule,
                               redaction_review=redaction_review, settle=False)
        consultation = decision.recommendation.response.consultation
        consultations[consultation.id] = (consultation, decision.published_at.date())

    result = _apply_to_decisions(session, shown, publish, "published")
    for consultation, today in consultations.values():
        decision_rules.settle_consultation(session, consultation, today=today)
    return result
