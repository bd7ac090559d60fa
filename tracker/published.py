"""What the public may see: the one place that decides it.

Public pages, feeds, downloads and the API all read published outcomes through these
functions, so the rules live once:

* a recommendation is public only when the decision of its group (its own, or its
  primary's if it is a duplicate) is published and not deleted, the recommendation and
  its response are not deleted, and its respondent is not confidential;
* the decision shown is the published snapshot (``published_outcome``,
  ``published_rationale``, ``published_at``), never the working copy or the internal note;
* respondents appear by name only with ``named`` consent, by organisation type with
  ``anonymous`` consent, and never with ``confidential`` consent; contact details never;
* only updates marked public are shown.

Every function runs a fixed number of queries whatever the number of rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consultations.models import Consultation, FrameworkItem, Link, Recommendation, Respondent, Response

from .models import Action, Decision

PUBLIC_CONSULTATION_STATUSES = ("open", "closed", "analysing", "outcome published")
FINISHED = {"implemented", "superseded", "withdrawn"}


def public_name(respondent: Respondent) -> str | None:
    """How a respondent appears in public: by name, by organisation type, or not at all."""
    if respondent.consent == "named":
        return respondent.name
    if respondent.consent == "anonymous":
        return f"A {respondent.organisation_type} organisation" if respondent.organisation_type else "A respondent"
    return None


@dataclass
class PublicUpdate:
    on: dt.date
    text: str
    evidence_url: str | None


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
    outcome: str
    rationale: str  # Markdown: render with the sanitising `markdown` filter
    published_at: dt.datetime
    actions: list[PublicAction]


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


def public_consultations(session: Session) -> list[Consultation]:
    return list(session.scalars(
        select(Consultation).where(Consultation.status.in_(PUBLIC_CONSULTATION_STATUSES))
        .options(selectinload(Consultation.questions))
        .order_by(Consultation.opens_on.desc().nulls_last(), Consultation.title)))


def _actions(decision: Decision, today: dt.date) -> list[PublicAction]:
    return [
        PublicAction(
            id=a.id, description=a.description, owner=a.owner, status=a.status, progress=a.progress, due_on=a.due_on,
            overdue=bool(a.due_on and a.due_on < today and a.status not in FINISHED),
            updates=[PublicUpdate(u.on, u.text, u.evidence_url) for u in a.updates if u.is_public],
        )
        for a in decision.actions if a.deleted_at is None
    ]


def public_recommendations(
    session: Session,
    *,
    consultation_id: int | None = None,
    item_id: int | None = None,
    respondent_id: int | None = None,
    recommendation_id: int | None = None,
    today: dt.date | None = None,
) -> list[PublicRecommendation]:
    """Published recommendations, optionally narrowed, in consultation and response order."""
    today = today or dt.date.today()
    query = (
        select(Recommendation)
        .join(Response, Recommendation.response_id == Response.id)
        .join(Respondent, Response.respondent_id == Respondent.id)
        .where(Recommendation.deleted_at.is_(None), Response.deleted_at.is_(None), Respondent.consent != "confidential")
        .options(
            selectinload(Recommendation.response).selectinload(Response.respondent),
            selectinload(Recommendation.response).selectinload(Response.consultation),
            selectinload(Recommendation.question),
            selectinload(Recommendation.links).selectinload(Link.item).selectinload(FrameworkItem.framework),
        )
        .order_by(Response.consultation_id, Response.id, Recommendation.sequence)
    )
    if consultation_id is not None:
        query = query.where(Response.consultation_id == consultation_id)
    if respondent_id is not None:
        query = query.where(Response.respondent_id == respondent_id, Respondent.consent == "named")
    if recommendation_id is not None:
        query = query.where(Recommendation.id == recommendation_id)
    if item_id is not None:
        query = query.where(Recommendation.links.any((Link.item_id == item_id) & (Link.status != "rejected")))
    recs = session.scalars(query).all()
    if not recs:
        return []

    primaries = {rec.duplicate_of_id or rec.id for rec in recs}
    decisions = {
        d.recommendation_id: d
        for d in session.scalars(
            select(Decision)
            .where(Decision.recommendation_id.in_(primaries), Decision.deleted_at.is_(None),
                   Decision.published_at.is_not(None))
            .options(selectinload(Decision.actions).selectinload(Action.updates))
            .order_by(Decision.id))
    }
    # Everyone who made the same point: the group's members, by public name.
    members = session.execute(
        select(Recommendation.id, Recommendation.duplicate_of_id, Respondent)
        .join(Response, Recommendation.response_id == Response.id)
        .join(Respondent, Response.respondent_id == Respondent.id)
        .where((Recommendation.id.in_(primaries)) | (Recommendation.duplicate_of_id.in_(primaries)),
               Recommendation.deleted_at.is_(None), Response.deleted_at.is_(None))
    ).all()
    group_names: dict[int, list[tuple[int, str]]] = {}
    for rec_id, duplicate_of, respondent in members:
        name = public_name(respondent)
        if name:
            group_names.setdefault(duplicate_of or rec_id, []).append((rec_id, name))

    found = []
    for rec in recs:
        primary = rec.duplicate_of_id or rec.id
        decision = decisions.get(primary)
        if decision is None:
            continue
        respondent = rec.response.respondent
        found.append(PublicRecommendation(
            id=rec.id, key=rec.key, text=rec.text, made_by=public_name(respondent),
            respondent_id=respondent.id if respondent.consent == "named" else None,
            organisation_type=respondent.organisation_type,
            consultation_id=rec.response.consultation_id, consultation_slug=rec.response.consultation.slug,
            consultation_title=rec.response.consultation.title,
            question_number=rec.question.number if rec.question else None,
            question_text=rec.question.text if rec.question else None,
            standards=[PublicStandard(link.item.id, link.item.framework.key, link.item.framework.name, link.item.code,
                                      link.item.title)
                       for link in rec.links if link.status != "rejected" and link.item.retired_at is None],
            decision=PublicDecision(decision.id, decision.published_outcome or "", decision.published_rationale or "",
                                    decision.published_at, _actions(decision, today)),
            also_made_by=sorted({name for other_id, name in group_names.get(primary, []) if other_id != rec.id}),
        ))
    return found
