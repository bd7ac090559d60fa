"""How far a consultation has got: for staff (received, triaged, linked, decided, published,
actions complete) and, in counts only, for the public outcome page ("We received N responses
making N recommendations; N decided, N still under consideration").

Each is one aggregate query (scalar subqueries in one SELECT), so a page shows it at a fixed
cost. Soft-deleted rows are left out by ``consultations.soft_delete``, subqueries included.

The public counts follow ``consultations.published``: responses from confidential
respondents are not counted at all, and a recommendation counts as decided only when its
group's decision is published (a draft or approved decision is still "under consideration"),
so the sentence says nothing the public pages do not already show, beyond the totals.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from consultations.models import Link, Recommendation, Respondent, Response
from consultations.vocabulary import FINISHED_ACTION_STATUSES
from consultations.workflow import Action, Decision

TRIAGED_STATUSES = ("recommendations confirmed", "closed")


@dataclass(frozen=True)
class ConsultationProgress:
    responses: int
    triaged: int  # responses whose recommendations are confirmed (or closed)
    recommendations: int
    linked: int  # with at least one confirmed link to a standard
    decided: int  # answered by a decision in any state
    published: int  # answered by a published decision
    actions: int
    actions_complete: int  # implemented, superseded or withdrawn

    @property
    def still_to_decide(self) -> int:
        return self.recommendations - self.decided


@dataclass(frozen=True)
class PublicProgress:
    responses: int
    recommendations: int
    decided: int

    @property
    def under_consideration(self) -> int:
        return self.recommendations - self.decided


def _group_decision(published: bool = False):
    """EXISTS a live (or, with ``published``, a published) decision of the recommendation's
    group: its own, or its primary's."""
    decision = aliased(Decision)
    conditions = [decision.published_at.is_not(None)] if published else []
    return exists().where(decision.recommendation_id == func.coalesce(Recommendation.duplicate_of_id,
                                                                      Recommendation.id), *conditions)


def _count(query):
    return query.scalar_subquery()


def consultation_progress(session: Session, consultation_id: int) -> ConsultationProgress:
    """Every staff count of one consultation, in one query."""
    responses = select(func.count(Response.id)).where(Response.consultation_id == consultation_id)
    recs = (select(func.count(Recommendation.id))
            .join(Response, Response.id == Recommendation.response_id)
            .where(Response.consultation_id == consultation_id))
    decision = aliased(Decision)
    answered = aliased(Recommendation)
    actions = (select(func.count(Action.id))
               .join(decision, decision.id == Action.decision_id)
               .join(answered, answered.id == decision.recommendation_id)
               .join(Response, Response.id == answered.response_id)
               .where(Response.consultation_id == consultation_id))
    row = session.execute(select(
        _count(responses),
        _count(responses.where(Response.status.in_(TRIAGED_STATUSES))),
        _count(recs),
        _count(recs.where(exists().where(Link.recommendation_id == Recommendation.id, Link.status == "confirmed"))),
        _count(recs.where(_group_decision())),
        _count(recs.where(_group_decision(published=True))),
        _count(actions),
        _count(actions.where(Action.status.in_(FINISHED_ACTION_STATUSES))),
    )).one()
    return ConsultationProgress(*(n or 0 for n in row))


def public_progress(session: Session, consultation_id: int) -> PublicProgress:
    """The public sentence's counts, in one query: confidential respondents left out, decided
    meaning published (the caller shows it only for a public consultation)."""
    shown = Respondent.consent != "confidential"
    responses = (select(func.count(Response.id)).join(Respondent, Respondent.id == Response.respondent_id)
                 .where(Response.consultation_id == consultation_id, shown))
    recs = (select(func.count(Recommendation.id))
            .join(Response, Response.id == Recommendation.response_id)
            .join(Respondent, Respondent.id == Response.respondent_id)
            .where(Response.consultation_id == consultation_id, shown))
    row = session.execute(select(_count(responses), _count(recs), _count(recs.where(_group_decision(published=True))))).one()
    return PublicProgress(*(n or 0 for n in row))
