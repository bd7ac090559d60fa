"""The staff list of recommendations across responses: filters that combine, counts per link
state and per decision state, sort and one page of rows, each a fixed number of queries
whatever the page size or the number of recommendations.

Flask-free so a script, a test, an export or a bulk action can ask for exactly the
recommendations a staff member sees in the list (the same ``RecommendationFilters``).

Two states are worked out in SQL, never stored:

- link state: ``confirmed`` when any link to a framework item is confirmed, ``suggested``
  when there are only proposed ones, ``none`` otherwise (rejected links count as none);
- decision state: the state of the live decision answering the recommendation, which is
  stored on its group's primary (``duplicate_of``; triage keeps groups one level deep),
  or ``none``.

Soft-deleted recommendations and those of soft-deleted responses are never listed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from consultations import count_cache
from consultations.models import (
    Cluster,
    ClusterMember,
    Consultation,
    FrameworkItem,
    Link,
    OrganisationType,
    Recommendation,
    Respondent,
    Response,
)
from consultations.vocabulary import DECISION_STATES, Term, Vocabulary
from consultations.workflow import Decision

NO_DECISION = "none"
LINK_STATES = Vocabulary(
    Term("none", "red", "No links"),
    Term("suggested", "yellow", "Only unconfirmed suggestions"),
    Term("confirmed", "green", "Confirmed links"),
)
# "none" first, then the decision states in the order a decision moves through them.
DECISION_FILTER_STATES = (NO_DECISION, *DECISION_STATES)

# Cluster filter values besides a cluster's id.
CLUSTER_CHOICES = {
    "any": "In a duplicate cluster (proposed or confirmed)",
    "proposed": "In a proposed duplicate cluster",
    "confirmed": "In a confirmed duplicate cluster",
    "none": "Not in a duplicate cluster",
}

SORTS = {
    "received": "Date received, oldest first",
    "received-desc": "Date received, newest first",
    "respondent": "Respondent",
    "key": "Key",
    "decision": "Decision state",
}
DEFAULT_SORT = "received"


@dataclass(frozen=True)
class RecommendationFilters:
    """What the list is narrowed to; ``None`` (or False) means "not filtered on this"."""

    consultation_id: int | None = None
    question_id: int | None = None
    respondent_id: int | None = None
    organisation_type_id: int | None = None
    standard: str | None = None  # a framework item code: the item or any item below it
    link_state: str | None = None  # one of LINK_STATES
    decision_state: str | None = None  # one of DECISION_FILTER_STATES
    outcome: str | None = None  # one of DECISION_OUTCOMES (the working outcome)
    cluster: str | int | None = None  # a key of CLUSTER_CHOICES or a cluster id
    assignee_id: int | None = None  # the response's triage assignee
    unassigned: bool = False
    text: str | None = None  # case-insensitive contains on the recommendation text

    def is_empty(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))


@dataclass(frozen=True)
class ListedRecommendation:
    """One row of the list: enough to show it and link to its pages, nothing loaded lazily."""

    id: int
    key: str
    text: str
    response_id: int
    received_on: dt.date | None
    respondent: str
    organisation_type: str | None
    consultation: str
    link_state: str
    decision_id: int | None
    decision_state: str
    outcome: str | None


class _Query:
    """The joined FROM clause and the two computed states, shared by counts and rows."""

    def __init__(self) -> None:
        # Correlated EXISTS on link(recommendation_id) rather than a grouped subquery of every
        # link: SQLite would build that subquery whole for each request.
        # SELECT link.id, not SELECT *: SQLite then answers from the link (recommendation_id,
        # status, item_id) index without reading the link's row.
        has = {status: select(Link.id).where(Link.recommendation_id == Recommendation.id, Link.status == status).exists()
               for status in ("confirmed", "proposed")}
        # Filtering says the same as ``link_state == state`` plainly, so that PostgreSQL estimates
        # how many rows match (it guessed 1,500 of 300,000 for the CASE and chose a nested loop).
        self.link_state_is = {"confirmed": has["confirmed"], "suggested": ~has["confirmed"] & has["proposed"],
                              "none": ~has["confirmed"] & ~has["proposed"]}
        self.link_state = case(
            (has["confirmed"], literal("confirmed")),
            (has["proposed"], literal("suggested")),
            else_=literal("none"),
        )
        self.decision_state = func.coalesce(Decision.state, literal(NO_DECISION))

    def select(self, *columns, names: bool = True, decisions: bool = True):
        """``columns`` from the live recommendations, joined to their response and, when asked,
        to their respondent and consultation (``names``) and live decision (``decisions``):
        a query that needs neither leaves them out, 31k fewer lookups each."""
        primary_id = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
        newer = aliased(Decision)
        live_decision = and_(  # deleted rows, aliases and subqueries included, are hidden by soft_delete
            Decision.recommendation_id == primary_id,
            ~select(newer.id).where(newer.recommendation_id == Decision.recommendation_id, newer.id > Decision.id).exists(),
        )
        query = (
            select(*columns)
            .select_from(Recommendation)
            .join(Response, Response.id == Recommendation.response_id)
        )
        if names:
            query = (query.join(Respondent, Respondent.id == Response.respondent_id)
                     .join(Consultation, Consultation.id == Response.consultation_id))
        if decisions:
            query = query.outerjoin(Decision, live_decision)
        return query

    def clauses(self, filters: RecommendationFilters, without: str | None = None) -> list:
        """WHERE clauses for every filter set; ``without="states"`` leaves out the link and
        decision states, which ``count_states`` applies itself."""
        f = filters
        clauses = []
        if f.consultation_id is not None:
            clauses.append(Response.consultation_id == f.consultation_id)
        if f.question_id is not None:
            clauses.append(Recommendation.question_id == f.question_id)
        if f.respondent_id is not None:
            clauses.append(Response.respondent_id == f.respondent_id)
        if f.organisation_type_id is not None:
            clauses.append(Respondent.organisation_type_id == f.organisation_type_id)
        if f.standard:
            clauses.append(_linked_to_standard(f.standard))
        if f.link_state and without != "states":
            clauses.append(self.link_state_is.get(f.link_state, self.link_state == f.link_state))
        if f.decision_state and without != "states":
            clauses.append(self.decision_state == f.decision_state)
        if f.outcome:
            clauses.append(Decision.outcome == f.outcome)
        if f.cluster is not None:
            clauses.append(_cluster_clause(f.cluster))
        if f.unassigned:
            clauses.append(Response.assignee_id.is_(None))
        elif f.assignee_id is not None:
            clauses.append(Response.assignee_id == f.assignee_id)
        if f.text and f.text.strip():
            clauses.append(Recommendation.text.icontains(f.text.strip(), autoescape=True))
        return clauses


def _linked_to_standard(code: str):
    """Linked (proposed or confirmed) to the item with this code, or an item below it."""
    code = code.strip()
    return exists(
        select(Link.id)
        .join(FrameworkItem, FrameworkItem.id == Link.item_id)
        .where(
            Link.recommendation_id == Recommendation.id,
            Link.status != "rejected",
            or_(FrameworkItem.code == code, FrameworkItem.code.startswith(code + ".", autoescape=True)),
        )
    )


def _cluster_clause(cluster: str | int):
    membership = (
        select(ClusterMember.id)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(ClusterMember.recommendation_id == Recommendation.id, ClusterMember.removed_at.is_(None))
    )
    if isinstance(cluster, int):
        return exists(membership.where(Cluster.id == cluster))
    live = membership.where(Cluster.status != "rejected")
    if cluster == "none":
        return ~exists(live)
    if cluster == "any":
        return exists(live)
    if cluster in ("proposed", "confirmed"):
        return exists(membership.where(Cluster.status == cluster))
    raise ValueError(f"unknown cluster filter {cluster!r}")


@dataclass(frozen=True)
class StateCounts:
    by_link_state: dict[str, int]
    by_decision_state: dict[str, int]
    total: int  # matching every filter


def count_states(session: Session, filters: RecommendationFilters) -> StateCounts:
    """Recommendations per link state and per decision state, in one aggregate query. Each
    dimension is counted with every filter but its own, as the triage queue counts statuses, so
    a state's count is what choosing it lists: the query counts every (link state, decision
    state) pair under the other filters, and each dimension sums the pairs the other allows.
    That reads every matching row, so the pairs are kept until the data change
    (``count_cache``): the next look at the list costs one primary-key read, not a second."""
    query = _Query()
    counted = query.select(query.link_state, query.decision_state, func.count(),
                           names=filters.organisation_type_id is not None)
    counted = counted.where(*query.clauses(filters, without="states")).group_by(query.link_state, query.decision_state)
    unfiltered_states = replace(filters, link_state=None, decision_state=None)  # both tabs share the pairs
    pairs = count_cache.remembered(session, ("recommendation-states", unfiltered_states),
                                   lambda: [tuple(row) for row in session.execute(counted)])
    by_link = dict.fromkeys(LINK_STATES, 0)
    by_decision = dict.fromkeys(DECISION_FILTER_STATES, 0)
    for link_state, decision_state, n in pairs:
        if filters.decision_state in (None, decision_state):
            by_link[link_state] = by_link.get(link_state, 0) + n
        if filters.link_state in (None, link_state):
            by_decision[decision_state] = by_decision.get(decision_state, 0) + n
    # by_link has every filter but the link state applied, so its sum (or the chosen state's
    # count) is the number of recommendations matching every filter.
    total = by_link.get(filters.link_state, 0) if filters.link_state else sum(by_link.values())
    return StateCounts(by_link_state=by_link, by_decision_state=by_decision, total=total)


def _order_by(query: _Query, sort: str) -> list:
    """Undated responses last, written NULLS LAST so that both databases walk the index on
    response (received_on, id) for the received orders and stop at the page."""
    if sort == "received-desc":
        return [Response.received_on.desc().nulls_last(), Response.id.desc(),
                Recommendation.sequence, Recommendation.id]
    if sort == "respondent":
        return [Respondent.name, Response.id, Recommendation.sequence, Recommendation.id]
    if sort == "key":
        return [func.length(Recommendation.key), Recommendation.key, Recommendation.id]
    if sort == "decision":
        rank = case({state: position for position, state in enumerate(DECISION_FILTER_STATES)},
                    value=query.decision_state, else_=len(DECISION_FILTER_STATES))
        return [rank, Response.received_on.asc().nulls_last(), Response.id, Recommendation.sequence, Recommendation.id]
    return [Response.received_on.asc().nulls_last(), Response.id, Recommendation.sequence, Recommendation.id]


def matching_ids(filters: RecommendationFilters):
    """``select(Recommendation.id)`` of everything the filters match: for bulk actions and exports."""
    query = _Query()
    return query.select(Recommendation.id).where(*query.clauses(filters))


def ordered_ids(filters: RecommendationFilters, sort: str = DEFAULT_SORT):
    """``select(Recommendation.id)`` of the matching recommendations in list order, joining only
    what the filters and sort need: page it (``db.paginate``), then ``rows_for`` the page. Choosing
    the page's ids first spares the database working out every column of every matching row
    (names, link state) just to sort them."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    query = _Query()
    return (
        query.select(Recommendation.id, names=sort == "respondent" or filters.organisation_type_id is not None,
                     decisions=sort == "decision" or bool(filters.decision_state or filters.outcome))
        .where(*query.clauses(filters))
        .order_by(*_order_by(query, sort))
    )


def rows_for(session: Session, ids: list[int]) -> list[ListedRecommendation]:
    """The rows of these recommendations, in the order of ``ids``: one query."""
    if not ids:
        return []
    query = _Query()
    found = {row[0]: ListedRecommendation(*row) for row in session.execute(
        query.select(
            Recommendation.id, Recommendation.key, Recommendation.text, Response.id, Response.received_on,
            Respondent.name, OrganisationType.name, Consultation.title, query.link_state,
            Decision.id, query.decision_state, Decision.outcome,
        ).outerjoin(OrganisationType, OrganisationType.id == Respondent.organisation_type_id).where(Recommendation.id.in_(ids))
    ).all()}
    return [found[i] for i in ids if i in found]


def list_page(session: Session, filters: RecommendationFilters, sort: str = DEFAULT_SORT, *,
              limit: int, offset: int = 0) -> list[ListedRecommendation]:
    """One page of rows without Flask (scripts, tests): two queries."""
    ids = list(session.scalars(ordered_ids(filters, sort).limit(limit).offset(offset)))
    return rows_for(session, ids)
