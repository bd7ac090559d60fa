"""What the public may see: the one place that decides it.

Public pages, feeds, downloads and the API all read published outcomes through these
functions, so the rules live once. "Not deleted" is not written here: the soft-delete listener
(``consultations.soft_delete``) adds it to every statement, subqueries and joins included, so
these functions rely on the session having it installed (the app does it in ``tracker.db``).

* a recommendation is public only when the decision of its group (its own, or its
  primary's if it is a duplicate) is published and not deleted, the recommendation and
  its response are not deleted, its respondent is not confidential and its consultation
  is public (not a draft);
* the decision shown is the published snapshot (``published_outcome``,
  ``published_rationale``, ``published_at``), never the working copy or the internal note;
* respondents appear by name only with ``named`` consent, by organisation type with
  ``anonymous`` consent, and never with ``confidential`` consent; contact details never;
* only updates marked public are shown;
* a recommendation's text is shown with its response's confirmed redactions applied
  (``consultations.redaction``: "[redacted: contact details]"), the original only to staff;
* a recommendation's public timeline (``public_timeline``) reads the audit log, but only the
  fields that were public when they changed: each publication of the decision (its published
  outcome, never the working copy or the internal note), each withdrawal with its reason, and the
  status changes of its live actions since the decision was first published;
* a withdrawn decision stays public, but as withdrawn: its outcome reads "withdrawn", its
  rationale is replaced by "Withdrawn on <date>: <reason>" (``shown_outcome``,
  ``shown_rationale``, ``withdrawal_notice``).

Every function runs a fixed number of queries whatever the number of rows (SQLAlchemy's
``selectinload`` adds one query per 500 rows loaded, so pages load a page at a time).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, tuple_, union_all
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from consultations.models import (
    Consultation,
    Framework,
    FrameworkItem,
    Link,
    Recommendation,
    Respondent,
    Response,
)

from consultations.actions import is_late, is_overdue
from consultations.queries import ids_in_batches
from consultations.soft_delete import WITH_DELETED
from consultations import redaction
from consultations.organisation_types import public_phrase
from consultations.workflow import Action, ActionUpdate, AuditEvent, Decision
from consultations.vocabulary import ACTION_STATUSES, DECISION_OUTCOMES, PUBLIC_CONSULTATION_STATUSES

# What each consent level lets us publish, in the words staff see beside each choice (consent
# page, upload form): the rule is ``public_name`` and the visibility functions below.
CONSENT_HINTS = {
    "named": "We may publish the respondent's name with what they said.",
    "anonymous": "We may publish what they said, but not who said it.",
    "confidential": "We publish nothing from their responses; they are used only inside the inspectorate.",
}


def public_name(respondent: Respondent) -> str | None:
    """How a respondent appears in public: by name, by organisation type, or not at all."""
    if respondent.consent == "named":
        return respondent.name
    if respondent.consent == "anonymous":
        return public_phrase(respondent.organisation_type)
    return None


@dataclass
class PublicUpdate:
    on: dt.date
    text: str
    evidence_url: str | None
    created_at: dt.datetime | None = None  # orders the public timeline within a day


@dataclass
class PublicAction:
    id: int
    description: str
    owner: str
    status: str
    progress: int
    due_on: dt.date | None
    overdue: bool
    updates: list[PublicUpdate]


@dataclass
class PublicDecision:
    id: int
    outcome: str  # "withdrawn" once withdrawn
    rationale: str  # Markdown: render with the sanitising `markdown` filter; the withdrawal notice once withdrawn
    published_at: dt.datetime
    actions: list[PublicAction]
    withdrawn_at: dt.datetime | None = None
    withdrawal_reason: str = ""
    published_outcome: str = ""  # the outcome last published, withdrawn or not (the timeline says it)


WITHDRAWN = "withdrawn"


def shown_outcome(decision: Decision) -> str:
    """The outcome the public sees: the published one, or "withdrawn"."""
    return WITHDRAWN if decision.withdrawn_at is not None else (decision.published_outcome or "")


def shown_rationale(decision: Decision) -> str:
    """The rationale the public sees: the published one, or once withdrawn the withdrawal notice
    instead (so every page, feed, download and the API say when and why)."""
    return withdrawal_notice(decision) or decision.published_rationale or ""


def withdrawal_notice(decision) -> str | None:
    """"Withdrawn on 2 December 2026: reason" for a withdrawn decision (or ``PublicDecision``)."""
    if decision.withdrawn_at is None:
        return None
    return f"Withdrawn on {decision.withdrawn_at.day} {decision.withdrawn_at:%B %Y}: {decision.withdrawal_reason or ''}".rstrip(": ")


@dataclass
class PublicStandard:
    id: int
    framework_key: str
    framework_name: str
    code: str
    title: str | None


@dataclass
class PublicRecommendation:
    id: int
    key: str
    text: str
    made_by: str  # the public name of the respondent
    respondent_id: int | None  # only for named respondents, who have a public page
    organisation_type: str | None
    consultation_id: int
    consultation_slug: str
    consultation_title: str
    question_number: str | None
    question_text: str | None
    standards: list[PublicStandard]
    decision: PublicDecision
    also_made_by: list[str] = field(default_factory=list)  # others in the same group of duplicates


@dataclass
class TimelineEntry:
    """One dated step of a recommendation's public timeline."""
    on: dt.date
    text: str
    action: str | None = None  # the action it is about, if any
    evidence_url: str | None = None
    kind: str = "update"  # published, revised, withdrawn, status or update
    at: dt.datetime | None = None  # when, as exactly as known: orders steps within a day


# The audit fields the timeline may read: what the public saw change, nothing else.
_DECISION_FIELDS = ("created", "published_at", "published_outcome", "withdrawn_at", "withdrawal_reason")
_ACTION_FIELDS = ("status",)


def _when(value: str | None) -> dt.datetime | None:
    """A date or date-time as the audit log writes it."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _published_step(when: dt.datetime, outcome: str | None, first: bool) -> TimelineEntry:
    said = "We published our decision" if first else "We published a revised decision"
    return TimelineEntry(when.date(), f"{said}: {DECISION_OUTCOMES.label(outcome)}." if outcome else f"{said}.",
                         kind="published" if first else "revised", at=when)


def _withdrawn_step(when: dt.datetime, reason: str | None) -> TimelineEntry:
    return TimelineEntry(when.date(), f"We withdrew our decision: {reason}" if reason else "We withdrew our decision.",
                         kind="withdrawn", at=when)


def _decision_steps(events: list[AuditEvent], decision: PublicDecision) -> list[TimelineEntry]:
    """Each publication and withdrawal of the decision, from the audit log's changes made together
    (one flush: the same time and version); the current ones even without a log (older data)."""
    batches: dict[tuple, dict[str, str | None]] = {}
    for event in events:
        values = batches.setdefault((event.at, event.version), {})
        if event.field == "created":
            created = json.loads(event.new or "{}")
            values.update({key: created[key] for key in _DECISION_FIELDS[1:] if key in created})
        else:
            values[event.field] = event.new
    steps: list[TimelineEntry] = []
    outcome = reason = None
    published: list[dt.datetime] = []
    withdrawn: list[dt.datetime] = []
    for values in batches.values():
        outcome = values.get("published_outcome", outcome)
        reason = values.get("withdrawal_reason", reason)
        when = _when(values.get("published_at"))
        if when is not None and when not in published:
            steps.append(_published_step(when, outcome, first=not published))
            published.append(when)
        when = _when(values.get("withdrawn_at"))
        if when is not None and when not in withdrawn:
            steps.append(_withdrawn_step(when, reason))
            withdrawn.append(when)
    if decision.published_at not in published:
        steps.append(_published_step(decision.published_at, decision.published_outcome, first=not published))
    if decision.withdrawn_at is not None and decision.withdrawn_at not in withdrawn:
        steps.append(_withdrawn_step(decision.withdrawn_at, decision.withdrawal_reason))
    return steps


def public_timeline(session: Session, rec: PublicRecommendation) -> list[TimelineEntry]:
    """A public recommendation's dated steps, oldest first: its decision published (and each
    revision published), withdrawn (with the reason), the status changes of its actions since the
    decision was first published, in the installation's wording (``consultations.vocabulary``),
    and the public updates on those actions. One query, whatever the number of steps."""
    decision = rec.decision
    actions = {action.id: action for action in decision.actions}  # live actions only (``_actions``)
    condition = and_(AuditEvent.entity_type == "decision", AuditEvent.entity_id == decision.id,
                     AuditEvent.field.in_(_DECISION_FIELDS))
    if actions:
        condition = or_(condition, and_(AuditEvent.entity_type == "action", AuditEvent.entity_id.in_(actions),
                                        AuditEvent.field.in_(_ACTION_FIELDS)))
    events = list(session.scalars(select(AuditEvent).where(condition).order_by(AuditEvent.id)))
    steps = _decision_steps([e for e in events if e.entity_type == "decision"], decision)
    first_published = min((step.at for step in steps if step.kind == "published"), default=decision.published_at)
    for event in events:
        if event.entity_type != "action" or event.at < first_published or not event.new or event.old == event.new:
            continue
        text = f"Status changed to {ACTION_STATUSES.label(event.new)}"
        text += f" (was {ACTION_STATUSES.label(event.old)})." if event.old else "."
        steps.append(TimelineEntry(event.at.date(), text, actions[event.entity_id].description, kind="status",
                                   at=event.at))
    for action in decision.actions:
        # An update is dated by staff; written that day, its time orders it among that day's steps.
        steps += [TimelineEntry(u.on, u.text, action.description, u.evidence_url,
                                at=u.created_at if u.created_at and u.created_at.date() == u.on else None)
                  for u in action.updates]
    order = {"published": 0, "revised": 1, "status": 2, "update": 3, "withdrawn": 4}
    return sorted(steps, key=lambda step: (step.on, step.at or dt.datetime.combine(step.on, dt.time.min),
                                           order[step.kind]))


def public_consultation(session: Session, slug: str) -> Consultation | None:
    """The consultation with this slug if the public may see it (pages, feeds and the API
    answer 404 otherwise), with its questions loaded."""
    return session.scalars(
        select(Consultation)
        .where(Consultation.slug == slug, Consultation.status.in_(PUBLIC_CONSULTATION_STATUSES))
        .options(selectinload(Consultation.questions))).first()


def public_consultations(session: Session) -> list[Consultation]:
    return list(session.scalars(
        select(Consultation).where(Consultation.status.in_(PUBLIC_CONSULTATION_STATUSES))
        .options(selectinload(Consultation.questions))
        .order_by(Consultation.opens_on.desc().nulls_last(), Consultation.title, Consultation.id)))


def _actions(decision: Decision, today: dt.date) -> list[PublicAction]:
    return [
        PublicAction(
            id=a.id, description=a.description, owner=a.owner, status=a.status, progress=a.progress, due_on=a.due_on,
            overdue=is_overdue(a, today),
            updates=[PublicUpdate(u.on, u.text, u.evidence_url, u.created_at) for u in a.updates if u.is_public],
        )
        for a in decision.actions if a.deleted_at is None
    ]


def _group_decision_published():
    """True when the decision of a recommendation's group (its own, or its primary's) is published."""
    decision = aliased(Decision)  # callers may join Decision themselves
    return (
        select(decision.id)
        .where(decision.recommendation_id == func.coalesce(Recommendation.duplicate_of_id, Recommendation.id),
               decision.published_at.is_not(None))
        .exists()
    )


def _visible(query, consultation_id: int | None = None):
    """Narrow a query over Recommendation to what the public may see (the rules above)."""
    query = (
        query.select_from(Recommendation)
        .join(Response, Recommendation.response_id == Response.id)
        .join(Respondent, Response.respondent_id == Respondent.id)
        .join(Consultation, Response.consultation_id == Consultation.id)
        .where(Respondent.consent != "confidential", Consultation.status.in_(PUBLIC_CONSULTATION_STATUSES),
               _group_decision_published())
    )
    if consultation_id is not None:
        query = query.where(Response.consultation_id == consultation_id)
    return query


def public_recommendation_ids(session: Session, ids) -> set[int]:
    """Which of these recommendations the public may see (for the public search documents)."""
    return ids_in_batches(session, lambda batch: _visible(select(Recommendation.id)).where(Recommendation.id.in_(batch)),
                       ids)


def _public_decisions():
    """Published, live decisions that answer at least one public recommendation."""
    primary = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
    return (_visible(select(Decision.id))
            .join(Decision, (Decision.recommendation_id == primary)
                  & Decision.published_at.is_not(None)))


def public_decision_ids(session: Session, ids) -> set[int]:
    """Which of these decisions the public may see: the ones public pages show."""
    return ids_in_batches(session, lambda batch: _public_decisions().where(Decision.id.in_(batch)), ids)


def public_action_ids(session: Session, ids) -> set[int]:
    """Which of these actions the public may see: live actions under a public decision."""
    return ids_in_batches(session, lambda batch: select(Action.id).where(
        Action.id.in_(batch), Action.decision_id.in_(_public_decisions())), ids)


def current_item_ids(session: Session, ids) -> set[int]:
    """Which of these framework items are current (not retired): frameworks are public information."""
    return ids_in_batches(session, lambda batch: select(FrameworkItem.id).where(
        FrameworkItem.id.in_(batch), FrameworkItem.retired_at.is_(None)), ids)


def _published_at():
    """When the decision of a recommendation's group was published (correlated)."""
    decision = aliased(Decision)
    return (
        select(func.max(decision.published_at))
        .where(decision.recommendation_id == func.coalesce(Recommendation.duplicate_of_id, Recommendation.id))
        .scalar_subquery()
    )


@dataclass(frozen=True)
class OutlineRow:
    """The little a page needs to count, group and page published recommendations without loading them."""
    id: int
    question_id: int | None
    outcome: str


def public_outline(session: Session, consultation_id: int) -> list[OutlineRow]:
    """Every published recommendation of a consultation as an ``OutlineRow``, in response order."""
    primary = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
    rows = session.execute(
        _visible(select(Recommendation.id, Recommendation.question_id, Decision.published_outcome,
                        Decision.withdrawn_at), consultation_id)
        .join(Decision, (Decision.recommendation_id == primary)
              & Decision.published_at.is_not(None))
        .order_by(Response.id, Recommendation.sequence, Recommendation.id, Decision.id)
    ).all()
    outline: dict[int, OutlineRow] = {}  # the latest decision wins, as in public_recommendations
    for rec_id, question_id, outcome, withdrawn_at in rows:
        outline[rec_id] = OutlineRow(rec_id, question_id, WITHDRAWN if withdrawn_at else (outcome or ""))
    return list(outline.values())


def public_standard_links(session: Session, consultation_id: int) -> list[tuple[int, PublicStandard]]:
    """(recommendation id, standard) for each live link of a consultation's published recommendations."""
    rows = session.execute(
        _visible(select(Recommendation.id, FrameworkItem, Framework), consultation_id)
        .join(Link, Link.recommendation_id == Recommendation.id)
        .join(FrameworkItem, Link.item_id == FrameworkItem.id)
        .join(Framework, FrameworkItem.framework_id == Framework.id)
        .where(Link.status != "rejected", FrameworkItem.retired_at.is_(None))
        .order_by(Response.id, Recommendation.sequence, Recommendation.id, FrameworkItem.position, FrameworkItem.id)
    ).all()
    return [(rec_id, PublicStandard(item.id, framework.key, framework.name, item.code, item.title))
            for rec_id, item, framework in rows]


def public_action_statuses(session: Session, consultation_id: int, today: dt.date | None = None) -> list[tuple[str, bool]]:
    """(status, overdue) of each live action under a consultation's published decisions, each action once."""
    today = today or dt.date.today()
    primaries = _visible(select(func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)), consultation_id)
    actions = session.execute(
        select(Action.status, Action.due_on)
        .join(Decision, Action.decision_id == Decision.id)
        .where(Decision.recommendation_id.in_(primaries), Decision.published_at.is_not(None))
        .order_by(Action.id)
    ).all()
    return [(status, is_late(due_on, status, today)) for status, due_on in actions]


def _narrowed(query, *, consultation_id=None, item_id=None, respondent_id=None, recommendation_id=None, ids=None,
              standard_code=None, framework_key=None, groups=None):
    query = _visible(query, consultation_id)
    if standard_code is not None:
        item = select(FrameworkItem.id).join(Framework).where(FrameworkItem.code == standard_code)
        if framework_key is not None:
            item = item.where(Framework.key == framework_key)
        query = query.where(Recommendation.links.any(Link.item_id.in_(item) & (Link.status != "rejected")))
    if groups is not None:  # the recommendations answered by these primaries' decisions
        query = query.where(func.coalesce(Recommendation.duplicate_of_id, Recommendation.id).in_(groups))
    if respondent_id is not None:
        query = query.where(Response.respondent_id == respondent_id, Respondent.consent == "named")
    if recommendation_id is not None:
        query = query.where(Recommendation.id == recommendation_id)
    if ids is not None:
        query = query.where(Recommendation.id.in_(ids))
    if item_id is not None:
        query = query.where(Recommendation.links.any((Link.item_id == item_id) & (Link.status != "rejected")))
    return query


def count_public_recommendations(session: Session, **narrow) -> int:
    """How many recommendations ``public_recommendations`` would return with the same narrowing."""
    return session.scalar(_narrowed(select(func.count(Recommendation.id)), **narrow))


def count_under_consideration(session: Session, respondent_id: int) -> int:
    """How many of a named respondent's recommendations, in consultations the public can see,
    have no published decision yet (for their outcome letter: a count, never the texts)."""
    return session.scalar(
        select(func.count(Recommendation.id))
        .join(Response, Recommendation.response_id == Response.id)
        .join(Respondent, Response.respondent_id == Respondent.id)
        .join(Consultation, Response.consultation_id == Consultation.id)
        .where(Response.respondent_id == respondent_id, Respondent.consent == "named",
               Consultation.status.in_(PUBLIC_CONSULTATION_STATUSES), ~_group_decision_published()))


def _after(session: Session, rec_id: int) -> list:
    """Keyset paging: clauses for the rows after recommendation ``rec_id`` in consultation and
    response order, so a deep page is found by seeking, not by counting off every row before it.
    The first clause lets the database seek to the consultation. LookupError for an unknown id."""
    key = session.execute(
        select(Response.consultation_id, Response.id, Recommendation.sequence, Recommendation.id)
        .join(Response, Recommendation.response_id == Response.id).where(Recommendation.id == rec_id),
        execution_options=WITH_DELETED).first()
    if key is None:
        raise LookupError(f"no recommendation has the id {rec_id}")
    return [tuple_(Response.consultation_id, Response.id) >= tuple_(key[0], key[1]),
            tuple_(Response.consultation_id, Response.id, Recommendation.sequence, Recommendation.id) > tuple_(*key)]


PUBLIC_ORDER = (Response.consultation_id, Response.id, Recommendation.sequence, Recommendation.id)


def public_id_before(session: Session, offset: int, **narrow) -> int | None:
    """The id of the published recommendation just before the first ``offset`` rows' end, in
    consultation and response order (None past the end): a deep page by number (the API's
    ``page=100``) counts off the rows before it by id alone, then seeks to them with ``after``,
    rather than loading every joined row before it (270 -> 170 ms of CPU at 314,680 on SQLite)."""
    return session.scalar(_narrowed(select(Recommendation.id), **narrow)
                          .order_by(*PUBLIC_ORDER).offset(offset - 1).limit(1))


def public_recommendations(
    session: Session,
    *,
    consultation_id: int | None = None,
    item_id: int | None = None,
    respondent_id: int | None = None,
    recommendation_id: int | None = None,
    ids: list[int] | None = None,
    standard_code: str | None = None,
    framework_key: str | None = None,
    groups: list[int] | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
    after: int | None = None,
    today: dt.date | None = None,
) -> list[PublicRecommendation]:
    """Published recommendations, optionally narrowed and paged, in consultation and response
    order (or most recently decided first); ``after`` a recommendation's id: the rows after it
    in consultation and response order (keyset paging)."""
    today = today or dt.date.today()
    query = (
        _narrowed(select(Recommendation), consultation_id=consultation_id, item_id=item_id,
                  respondent_id=respondent_id, recommendation_id=recommendation_id, ids=ids,
                  standard_code=standard_code, framework_key=framework_key, groups=groups)
        .options(
            # many-to-one: joined into the one query; collections: one more query each
            joinedload(Recommendation.response).joinedload(Response.respondent),
            joinedload(Recommendation.response).joinedload(Response.consultation),
            joinedload(Recommendation.question),
            selectinload(Recommendation.links).joinedload(Link.item).joinedload(FrameworkItem.framework),
        )
        .order_by(*PUBLIC_ORDER)
        .offset(offset)
        .limit(limit)
    )
    if newest_first:
        query = query.order_by(None).order_by(_published_at().desc(), Recommendation.id.desc())
    if after is not None:
        if newest_first:
            raise ValueError("after pages the consultation and response order only")
        query = query.where(*_after(session, after))
    recs = session.scalars(query).all()
    if not recs:
        return []

    primaries = {rec.duplicate_of_id or rec.id for rec in recs}
    decisions = {
        d.recommendation_id: d
        for d in session.scalars(
            select(Decision)
            .where(Decision.recommendation_id.in_(primaries), Decision.published_at.is_not(None))
            .options(selectinload(Decision.actions).selectinload(Action.updates))
            .order_by(Decision.id))
    }
    # Everyone who made the same point: the group's members, by public name.
    members = session.execute(
        select(Recommendation.id, Recommendation.duplicate_of_id, Respondent)
        .join(Response, Recommendation.response_id == Response.id)
        .join(Respondent, Response.respondent_id == Respondent.id)
        # a union, not "id IN ... OR duplicate_of_id IN ...": SQLite answers that OR by reading
        # every respondent's recommendations (a quarter of a second at 300,000)
        .where(Recommendation.id.in_(union_all(
            select(Recommendation.id).where(Recommendation.id.in_(primaries)),
            select(Recommendation.id).where(Recommendation.duplicate_of_id.in_(primaries)))))
    ).all()
    group_names: dict[int, list[tuple[int, str]]] = {}
    for rec_id, duplicate_of, respondent in members:
        name = public_name(respondent)
        if name:
            group_names.setdefault(duplicate_of or rec_id, []).append((rec_id, name))

    redactions = redaction.confirmed_passages(session, {rec.response_id for rec in recs})
    found = []
    for rec in recs:
        primary = rec.duplicate_of_id or rec.id
        decision = decisions.get(primary)
        if decision is None:
            continue
        respondent = rec.response.respondent
        found.append(PublicRecommendation(
            id=rec.id, key=rec.key, text=redaction.public_text(rec.text, redactions.get(rec.response_id, [])),
            made_by=public_name(respondent),
            respondent_id=respondent.id if respondent.consent == "named" else None,
            organisation_type=respondent.organisation_type.name if respondent.organisation_type else None,
            consultation_id=rec.response.consultation_id, consultation_slug=rec.response.consultation.slug,
            consultation_title=rec.response.consultation.title,
            question_number=rec.question.number if rec.question else None,
            question_text=rec.question.text if rec.question else None,
            standards=[PublicStandard(link.item.id, link.item.framework.key, link.item.framework.name, link.item.code,
                                      link.item.title)
                       for link in rec.links if link.status != "rejected" and link.item.retired_at is None],
            decision=PublicDecision(decision.id, shown_outcome(decision), shown_rationale(decision),
                                    decision.published_at, _actions(decision, today),
                                    decision.withdrawn_at, decision.withdrawal_reason or "",
                                    decision.published_outcome or ""),
            also_made_by=sorted({name for other_id, name in group_names.get(primary, []) if other_id != rec.id}),
        ))
    return found


def public_decision_groups(session: Session, *, decision_id: int | None = None, limit: int | None = None,
                           offset: int = 0) -> tuple[list[int], int]:
    """Primaries (recommendation ids) of published decisions that answer at least one public
    recommendation, by decision id, one page of them; and how many there are in all."""
    primary = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
    decisions = (
        _visible(select(Decision.id, Decision.recommendation_id))
        .join(Decision, (Decision.recommendation_id == primary)
              & Decision.published_at.is_not(None))
        .distinct()
    )
    if decision_id is not None:
        decisions = decisions.where(Decision.id == decision_id)
    total = session.scalar(select(func.count()).select_from(decisions.subquery()))
    rows = session.execute(decisions.order_by(Decision.id).offset(offset).limit(limit)).all()
    return [rec_id for _, rec_id in rows], total


@dataclass
class PublicUpdateEntry:
    """A public update for a feed, with the action it is on and a public recommendation to link to."""
    update_id: int
    action_id: int
    action_description: str
    update: PublicUpdate
    recommendation_id: int
    consultation_id: int


def public_updates(session: Session, *, limit: int, **narrow) -> list[PublicUpdateEntry]:
    """The newest public updates on actions under published decisions whose group has a public
    recommendation matching ``narrow``; each links to that group's first such recommendation."""
    first_public = (
        _narrowed(select(func.min(Recommendation.id)), **narrow)
        .where(func.coalesce(Recommendation.duplicate_of_id, Recommendation.id) == Decision.recommendation_id)
        .correlate(Decision)
        .scalar_subquery()
    )
    rows = session.execute(
        select(ActionUpdate, Action.description, first_public)
        .join(Action, ActionUpdate.action_id == Action.id)
        .join(Decision, Action.decision_id == Decision.id)
        .where(ActionUpdate.is_public.is_(True), Decision.published_at.is_not(None), first_public.is_not(None))
        .order_by(ActionUpdate.on.desc(), ActionUpdate.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    consultations = dict(session.execute(
        select(Recommendation.id, Response.consultation_id).join(Response)
        .where(Recommendation.id.in_({rec_id for _, _, rec_id in rows}))).all())
    return [PublicUpdateEntry(update.id, update.action_id, description, PublicUpdate(update.on, update.text, update.evidence_url),
                              rec_id, consultations[rec_id])
            for update, description, rec_id in rows]


@dataclass
class PreviewEntry:
    """One recommendation a decision answers, as publishing would show it (``shown``) or why not."""
    rec_id: int
    key: str
    text: str
    made_by: str | None
    shown: PublicRecommendation | None
    why_not: str | None


def publication_preview(session: Session, decision: Decision, group: list[Recommendation],
                        today: dt.date | None = None) -> list[PreviewEntry]:
    """What publishing ``decision`` (its working outcome and public rationale) would put on the
    public pages, for each recommendation of its ``group``: the same rules as the pages, never
    the internal note."""
    today = today or dt.date.today()
    public_decision = PublicDecision(decision.id, decision.outcome, decision.public_rationale or "",
                                     decision.published_at or dt.datetime.combine(today, dt.time()),
                                     _actions(decision, today))
    redactions = redaction.confirmed_passages(session, {rec.response_id for rec in group})
    entries = []
    for rec in group:
        respondent, consultation = rec.response.respondent, rec.response.consultation
        text = redaction.public_text(rec.text, redactions.get(rec.response_id, []))
        made_by = public_name(respondent)
        why_not = None
        if consultation.status not in PUBLIC_CONSULTATION_STATUSES:
            why_not = "Not shown: the consultation is a draft, so nothing from it is public yet."
        elif made_by is None:
            why_not = "Not shown: the respondent asked for their response to be kept confidential."
        shown = None if why_not else PublicRecommendation(
            id=rec.id, key=rec.key, text=text, made_by=made_by,
            respondent_id=respondent.id if respondent.consent == "named" else None,
            organisation_type=respondent.organisation_type, consultation_id=consultation.id,
            consultation_slug=consultation.slug, consultation_title=consultation.title,
            question_number=rec.question.number if rec.question else None,
            question_text=rec.question.text if rec.question else None,
            standards=[], decision=public_decision)
        entries.append(PreviewEntry(rec.id, rec.key, rec.text, made_by, shown, why_not))
    return entries


def public_ids_that_would_go(session: Session, *, respondent_id: int | None = None, response_id: int | None = None,
                             recommendation_id: int | None = None) -> list[int]:
    """The public recommendations whose pages would disappear if this respondent became
    confidential, this response were deleted, or this recommendation (with its sub-points) were
    deleted: staff are warned, with the URLs, before such a change."""
    query = _visible(select(Recommendation.id))
    if respondent_id is not None:
        query = query.where(Response.respondent_id == respondent_id)
    if response_id is not None:
        query = query.where(Recommendation.response_id == response_id)
    if recommendation_id is not None:
        family, frontier = {recommendation_id}, [recommendation_id]
        while frontier:  # sub-points are deleted with their parent
            frontier = [i for i in session.scalars(select(Recommendation.id).where(Recommendation.parent_id.in_(frontier)))
                        if i not in family]
            family.update(frontier)
        query = query.where(Recommendation.id.in_(family))
    return sorted(session.scalars(query.distinct()))
