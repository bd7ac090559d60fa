"""Deciding clusters: confirming marks every member a duplicate of the chosen primary; rejecting
and removing members change only the proposal."""
from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import triage
from ..soft_delete import WITH_DELETED
from ..models import (
    Cluster,
    ClusterMember,
    Recommendation,
    utcnow,
)
from .common import ClusterError


# ---------------------------------------------------------------------------
# Deciding clusters
# ---------------------------------------------------------------------------


def _is_live(rec: Recommendation) -> bool:
    return rec.deleted_at is None and rec.response.deleted_at is None


def active_members(cluster: Cluster) -> list[ClusterMember]:
    """Members not removed by staff (deleted recommendations included, shown as deleted)."""
    return [m for m in cluster.members if m.removed_at is None]


def _refuse_decided(recs: Collection[Recommendation], decided: Collection[int], keep: Recommendation | None,
                    what: str) -> None:
    clash = [rec for rec in recs if rec.id in decided and (keep is None or rec.id != keep.id)]
    if clash:
        names = ", ".join(f"{rec.key} from {rec.response.respondent.name}" for rec in clash)
        raise ClusterError(
            f"{names} already {'has a decision' if len(clash) == 1 else 'have decisions'} of "
            f"{'its' if len(clash) == 1 else 'their'} own, so {what}. "
            + ("Choose it as the primary, or delete its decision first (it stays in the history)."
               if len(clash) == 1 and keep is not None else
               "Delete those decisions first (they stay in the history), or remove those recommendations.")
        )


def _mark_duplicates(session: Session, plans: Sequence[tuple[Recommendation, Recommendation]]) -> int:
    """Mark each ``rec`` a duplicate of ``target``'s group; return how many changed.

    A recommendation that others are duplicates of goes through ``triage.mark_duplicate``,
    which moves its group along; the rest (nearly all, in a big campaign) are set directly, so
    confirming five hundred letters does not cost two queries per recommendation.
    """
    session.flush()
    ids = [rec.id for rec, _ in plans]
    leaders: set[int] = set()
    for start in range(0, len(ids), 500):
        leaders.update(session.scalars(
            select(Recommendation.duplicate_of_id).where(Recommendation.duplicate_of_id.in_(ids[start:start + 500])),
            execution_options=WITH_DELETED))
    changed = 0
    for rec, target in plans:
        group = triage.primary_of(target)
        if group.id == rec.id or triage.primary_of(rec).id == group.id:
            continue
        if rec.id in leaders or target.duplicate_of is rec or group.deleted_at is not None:
            triage.mark_duplicate(session, rec, target)
        else:
            rec.duplicate_of = group
        changed += 1
    session.flush()
    return changed


def confirm_cluster(
    session: Session,
    cluster: Cluster,
    primary: Recommendation | None,
    user_id: int | None,
    decided: Collection[int] = (),
) -> tuple[Recommendation, int]:
    """Mark every live member a duplicate of ``primary`` and confirm the cluster.

    Returns the group's primary (``primary``, or the recommendation it is itself a duplicate
    of) and how many recommendations changed. ``decided`` holds the ids of recommendations
    that have a live decision of their own: only the primary may have one, since a decision
    follows a duplicate to its primary and would otherwise be lost from view.
    """
    if cluster.status == "rejected":
        raise ClusterError("This cluster was rejected. Nothing can be confirmed in it; run `duplicates find` "
                           "again to propose new clusters.")
    members = active_members(cluster)
    live = [m.recommendation for m in members if _is_live(m.recommendation)]
    if primary is None:
        raise ClusterError("Choose the recommendation that will carry the decision for the cluster.")
    if primary.id not in {m.recommendation_id for m in members}:
        raise ClusterError("The primary must be one of the cluster's recommendations. Choose one from the list.")
    if not _is_live(primary):
        raise ClusterError(f"{primary.key} from {primary.response.respondent.name} has been deleted. "
                           "Choose another recommendation as the primary.")
    if len(live) < 2:
        raise ClusterError("Fewer than two of this cluster's recommendations are left, so there is nothing to "
                           "mark as duplicates. Reject the cluster instead.")
    _refuse_decided(live, decided, primary, "they cannot be marked as duplicates of another recommendation")

    session.flush()
    changed = 0
    leader = primary.duplicate_of
    if leader is not None and leader.id in {rec.id for rec in live}:
        triage.mark_duplicate(session, leader, primary)  # the chosen primary leads its group now
        changed += 1
    changed += _mark_duplicates(session, [(rec, primary) for rec in live if rec.id != primary.id])
    group_primary = triage.primary_of(primary)
    cluster.primary_id = group_primary.id
    cluster.status = "confirmed"
    cluster.decided_by_id = user_id
    cluster.decided_at = utcnow()
    session.flush()
    return group_primary, changed


def reject_cluster(session: Session, cluster: Cluster, user_id: int | None) -> Cluster:
    """Record that the cluster's recommendations are not the same point. Nothing else changes."""
    if cluster.status != "proposed":
        raise ClusterError(
            "This cluster has already been rejected." if cluster.status == "rejected" else
            "This cluster is confirmed: its recommendations are duplicates. To undo one, clear its "
            "duplicate mark on its response's recommendations page."
        )
    cluster.status = "rejected"
    cluster.decided_by_id = user_id
    cluster.decided_at = utcnow()
    session.flush()
    return cluster


def remove_member(session: Session, cluster: Cluster, rec: Recommendation, user_id: int | None) -> bool:
    """Take a recommendation out of a proposed cluster (kept, so it is not proposed again).

    Returns True when the cluster was closed because fewer than two members were left.
    """
    if cluster.status != "proposed":
        raise ClusterError(
            "Only a proposed cluster can change. " + (
                "This one is confirmed: clear the recommendation's duplicate mark on its response's "
                "recommendations page instead." if cluster.status == "confirmed" else "This one was rejected."))
    member = next((m for m in active_members(cluster) if m.recommendation_id == rec.id), None)
    if member is None:
        raise ClusterError(f"{rec.key} is not in this cluster (it may have been removed already). Reload the page.")
    member.removed_at = utcnow()
    member.removed_by_id = user_id
    left = [m for m in active_members(cluster)]
    closed = len(left) < 2
    if closed:
        cluster.status = "rejected"
        cluster.decided_by_id = user_id
        cluster.decided_at = utcnow()
    elif cluster.primary_id == rec.id:
        cluster.primary_id = max(left, key=lambda m: (m.score, -m.id)).recommendation_id
    session.flush()
    return closed
