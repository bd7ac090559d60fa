"""Which decision counts for a recommendation, and how many linked recommendations each framework
item has, accepted or not: the mapping pages' questions, answered in aggregate queries so the
number of queries does not grow with items or consultations.

"Accepted" and the decision shown follow one rule: a recommendation's own live decision (the
newest not deleted), or else the live decision on the recommendation it duplicates.
"""
from __future__ import annotations

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from consultations import count_cache
from consultations.models import FrameworkItem, Link, Recommendation, Response
from consultations.workflow import Decision

ACCEPTED_OUTCOMES = ("accepted", "accepted in part")


def live_decision_ids():
    """The newest live decision of each recommendation, as a subquery (recommendation_id, id)."""
    return (
        select(Decision.recommendation_id, func.max(Decision.id).label("decision_id"))
        .group_by(Decision.recommendation_id)
        .subquery()
    )


def decisions_for(session: Session, recommendations: list[Recommendation]) -> dict[int, tuple[Decision, bool]]:
    """``{recommendation id: (decision, decided for its group)}`` in one query.

    A recommendation's own live decision wins; otherwise the live decision on the
    recommendation it duplicates, which is then "decided for the group".
    """
    wanted = {r.id for r in recommendations} | {r.duplicate_of_id for r in recommendations if r.duplicate_of_id}
    if not wanted:
        return {}
    latest = live_decision_ids()
    newest = {
        decision.recommendation_id: decision
        for decision in session.scalars(
            select(Decision).join(latest, latest.c.decision_id == Decision.id)
            .where(Decision.recommendation_id.in_(wanted))
        )
    }
    found: dict[int, tuple[Decision, bool]] = {}
    for rec in recommendations:
        if rec.id in newest:
            found[rec.id] = (newest[rec.id], False)
        elif rec.duplicate_of_id in newest:
            found[rec.id] = (newest[rec.duplicate_of_id], True)
    return found


def subtree_pairs(framework_id: int):
    """Every current item of the framework with itself and each current item below it, as a
    recursive CTE (ancestor_id, item_id): what a parent item's total counts."""
    subtree = (
        select(FrameworkItem.id.label("ancestor_id"), FrameworkItem.id.label("item_id"))
        .where(FrameworkItem.framework_id == framework_id, FrameworkItem.retired_at.is_(None))
        .cte("subtree", recursive=True)
    )
    child = aliased(FrameworkItem, name="child_item")
    return subtree.union_all(
        select(subtree.c.ancestor_id, child.id)
        .join(child, child.parent_id == subtree.c.item_id)
        .where(child.retired_at.is_(None))
    )


def coverage_counts(session: Session, framework_id: int, by_item: bool = True, rolled_up: bool = False) -> dict:
    """Linked and accepted recommendations, in one aggregate query.

    Grouped by (item id, consultation id), or by consultation id alone with ``by_item=False``
    (a recommendation linked to several items then counts once). Linked: distinct live
    recommendations on live responses with a proposed or confirmed link to a current
    (non-retired) item of the framework. Accepted: those whose live decision, or the live
    decision of the recommendation they duplicate, is "accepted" or "accepted in part".

    ``rolled_up`` (by item only): each item counts the recommendations linked to it or to any
    item below it, each once (so an item without sub-items counts its own).

    The query reads every link of the framework, so its result is kept until the data change
    (``count_cache``).
    """
    return count_cache.remembered(session, ("coverage", framework_id, by_item, rolled_up),
                                  lambda: _coverage_counts(session, framework_id, by_item, rolled_up))


def _coverage_counts(session: Session, framework_id: int, by_item: bool, rolled_up: bool) -> dict:
    latest = live_decision_ids()
    own_latest, group_latest = latest.alias("own_latest"), latest.alias("group_latest")
    own, group = aliased(Decision, name="own_decision"), aliased(Decision, name="group_decision")
    outcome = func.coalesce(own.outcome, group.outcome)
    accepted = case((outcome.in_(ACCEPTED_OUTCOMES), Recommendation.id), else_=None)
    subtree = subtree_pairs(framework_id) if by_item and rolled_up else None
    item_key = subtree.c.ancestor_id if subtree is not None else Link.item_id
    keys = [item_key, Response.consultation_id] if by_item else [Response.consultation_id]
    # A recommendation has one link per item, so per item each counts once without DISTINCT,
    # which would make PostgreSQL sort every link rather than hash 1,000 groups.
    once = (lambda column: column) if by_item and not rolled_up else func.distinct
    query = select(*keys, func.count(once(Recommendation.id)), func.count(once(accepted))).select_from(Link)
    if subtree is not None:
        query = query.join(subtree, subtree.c.item_id == Link.item_id)
    query = (
        query
        .join(FrameworkItem, FrameworkItem.id == Link.item_id)
        .join(Recommendation, _linked_id(session) == Link.recommendation_id)
        .join(Response, Response.id == Recommendation.response_id)
        .outerjoin(own_latest, own_latest.c.recommendation_id == Recommendation.id)
        .outerjoin(own, own.id == own_latest.c.decision_id)
        .outerjoin(group_latest, group_latest.c.recommendation_id == Recommendation.duplicate_of_id)
        .outerjoin(group, group.id == group_latest.c.decision_id)
        .where(
            FrameworkItem.framework_id == framework_id,
            FrameworkItem.retired_at.is_(None),
            Link.status != "rejected",
        )
        .group_by(*keys)
    )
    if by_item:
        return {(item_id, cid): (linked, ok) for item_id, cid, linked, ok in session.execute(query)}
    return {cid: (linked, ok) for cid, linked, ok in session.execute(query)}


def _linked_id(session: Session):
    """``Recommendation.id`` to join links on. SQLite's planner would fetch each link's
    recommendation by primary key, reading every linked row, texts and all; ``id + 0`` cannot be
    looked up, so it reads the recommendations from their counting index and their links from
    link (recommendation_id, status, item_id): 0.7 s -> 0.3 s at 314,680. PostgreSQL hashes
    the join either way, and misestimates it with the "+ 0", so it gets the column."""
    if session.get_bind().dialect.name == "sqlite":
        return Recommendation.id + literal_column("0")
    return Recommendation.id
