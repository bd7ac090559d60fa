"""The rows of a recommendations export: everything staff see in the list and on each
recommendation's pages (links with their states, the live decision with its internal note,
duplicate clusters, implementation actions), for exactly the recommendations the staff list
shows for the same filters (``consultations.recommendation_list``), in the list's order.

Rows are produced in batches of ``BATCH_SIZE`` ids, each batch a fixed number of queries (the
list's own row query, then one each for questions, decisions, links, clusters and actions), so
an export of 31k recommendations never runs a query per row and never holds every row at once.
The staff list's own form reads the filters (``tracker.staff.recommendations``), so an export is
the list a staff member was looking at.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations import recommendation_list as listing
from consultations.models import Cluster, ClusterMember, Framework, FrameworkItem, Link, Question, Recommendation
from consultations.vocabulary import ACTION_STATUSES, DECISION_OUTCOMES, DECISION_STATES
from consultations.workflow import Action, Decision

BATCH_SIZE = 500
LINK_STATUS_WORDS = {"proposed": "suggested", "confirmed": "confirmed", "rejected": "rejected"}

COLUMNS = (
    "Key", "Recommendation", "Respondent", "Organisation type", "Consultation", "Question", "Received",
    "Link state", "Links", "Decision state", "Outcome", "Public rationale", "Internal note",
    "Duplicate clusters", "Actions", "Recommendation id", "Response id",
)


@dataclass(frozen=True)
class ExportRow:
    """One recommendation as exported: plain values, one per column of ``COLUMNS``."""

    key: str
    text: str
    respondent: str
    organisation_type: str
    consultation: str
    question: str
    received_on: dt.date | None
    link_state: str
    links: str
    decision_state: str
    outcome: str
    public_rationale: str
    internal_note: str
    clusters: str
    actions: str
    recommendation_id: int
    response_id: int
    # Not columns: the stored values the consultation report counts by.
    question_id: int | None = None
    outcome_value: str | None = None
    decision_state_value: str = listing.NO_DECISION

    def values(self) -> tuple:
        return (self.key, self.text, self.respondent, self.organisation_type, self.consultation, self.question,
                self.received_on, self.link_state, self.links, self.decision_state, self.outcome,
                self.public_rationale, self.internal_note, self.clusters, self.actions, self.recommendation_id,
                self.response_id)


def export_rows(session: Session, filters: listing.RecommendationFilters, sort: str = listing.DEFAULT_SORT, *,
                batch_size: int | None = None) -> Iterator[ExportRow]:
    """Every recommendation the list shows for ``filters``, in its order, as export rows:
    one query for the ids, then a fixed number per batch (``BATCH_SIZE`` unless given)."""
    batch_size = batch_size or BATCH_SIZE
    ids = list(session.scalars(listing.ordered_ids(filters, sort)))
    for start in range(0, len(ids), batch_size):
        yield from _batch(session, ids[start:start + batch_size])


def _batch(session: Session, ids: list[int]) -> list[ExportRow]:
    listed = listing.rows_for(session, ids)
    questions = {rec_id: (question_id, f"{number}. {text}") for rec_id, question_id, number, text in session.execute(
        select(Recommendation.id, Question.id, Question.number, Question.text)
        .join(Question, Question.id == Recommendation.question_id)
        .where(Recommendation.id.in_(ids))).all()}
    decision_ids = [row.decision_id for row in listed if row.decision_id is not None]
    notes = {decision_id: (rationale, note) for decision_id, rationale, note in session.execute(
        select(Decision.id, Decision.public_rationale, Decision.internal_note)
        .where(Decision.id.in_(decision_ids))).all()} if decision_ids else {}

    links: dict[int, list[str]] = defaultdict(list)
    for rec_id, framework, code, status in session.execute(
            select(Link.recommendation_id, Framework.name, FrameworkItem.code, Link.status)
            .join(FrameworkItem, FrameworkItem.id == Link.item_id)
            .join(Framework, Framework.id == FrameworkItem.framework_id)
            .where(Link.recommendation_id.in_(ids))
            .order_by(Link.recommendation_id, Framework.name, FrameworkItem.position, FrameworkItem.id)):
        links[rec_id].append(f"{framework} {code} ({LINK_STATUS_WORDS.get(status, status)})")

    clusters: dict[int, list[str]] = defaultdict(list)
    for rec_id, cluster_id, status in session.execute(
            select(ClusterMember.recommendation_id, Cluster.id, Cluster.status)
            .join(Cluster, Cluster.id == ClusterMember.cluster_id)
            .where(ClusterMember.recommendation_id.in_(ids), ClusterMember.removed_at.is_(None))
            .order_by(ClusterMember.recommendation_id, Cluster.id)):
        clusters[rec_id].append(f"Cluster {cluster_id} ({status})")

    actions: dict[int, list[str]] = defaultdict(list)
    if decision_ids:
        for decision_id, description, owner, status, due_on in session.execute(
                select(Action.decision_id, Action.description, Action.owner, Action.status, Action.due_on)
                .where(Action.decision_id.in_(decision_ids))
                .order_by(Action.decision_id, Action.id)):
            due = f", due {due_on.isoformat()}" if due_on else ", no due date"
            actions[decision_id].append(f"{description} ({ACTION_STATUSES.label(status)}{due}; owner {owner})")

    rows = []
    for row in listed:
        rationale, note = notes.get(row.decision_id, ("", ""))
        rows.append(ExportRow(
            key=row.key, text=row.text, respondent=row.respondent, organisation_type=row.organisation_type or "",
            consultation=row.consultation, question=questions.get(row.id, (None, ""))[1], received_on=row.received_on,
            link_state=listing.LINK_STATES.label(row.link_state), links="\n".join(links[row.id]),
            decision_state=("No decision" if row.decision_state == listing.NO_DECISION
                            else DECISION_STATES.label(row.decision_state)),
            outcome=DECISION_OUTCOMES.label(row.outcome) if row.outcome else "",
            public_rationale=rationale or "", internal_note=note or "",
            clusters="\n".join(clusters[row.id]),
            actions="\n".join(actions[row.decision_id]) if row.decision_id else "",
            recommendation_id=row.id, response_id=row.response_id,
            question_id=questions.get(row.id, (None, ""))[0], outcome_value=row.outcome,
            decision_state_value=row.decision_state,
        ))
    return rows
