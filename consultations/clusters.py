"""Storing and deciding near-duplicate clusters and campaigns.

``duplicates.py`` finds groups of texts; this module keeps them as proposals for staff and
carries out their decisions through the existing duplicate mechanism, so nothing new is
needed downstream: confirming a cluster marks every member a duplicate of the chosen primary
(``consultations.triage.mark_duplicate``), one decision then answers the whole group, and
public pages credit every respondent in it. Confirming a campaign does the same for each
member response's recommendations against the canonical response's. Rejecting changes
nothing but the proposal, and is remembered so a later run does not propose it again.

Like every service here: checks first, then changes and ``flush()``; the caller commits.
Users are referred to by id only (the user model lives in the web application), and so are
recommendations that already have a decision (``decided``): decisions live there too.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import duplicates, triage
from .soft_delete import WITH_DELETED
from .models import (
    Campaign,
    CampaignMember,
    Cluster,
    ClusterMember,
    Consultation,
    Recommendation,
    Response,
    utcnow,
)

RECOMMENDATION_THRESHOLD = 0.7  # tuned on the UPR data: see bench/duplicates.py
CAMPAIGN_THRESHOLD = duplicates.CAMPAIGN_THRESHOLD
# Within a confirmed campaign the responses are known copies, so a member's recommendation
# is matched to the template's at a lower bar than clusters across respondents need.
CAMPAIGN_MATCH_THRESHOLD = 0.5
ACTIVE = ("proposed", "confirmed")


class ClusterError(ValueError):
    """A cluster or campaign decision that cannot be carried out; the message says why."""


def method_label(shingling: duplicates.Shingling) -> str:
    return f"MinHash LSH, {shingling.label}, exact Jaccard"


# ---------------------------------------------------------------------------
# Finding
# ---------------------------------------------------------------------------


@dataclass
class FindReport:
    """What one ``find`` run did for one consultation."""

    consultation: str
    recommendations: int = 0
    responses: int = 0
    clusters_found: int = 0
    clusters_new: int = 0
    members_added: int = 0  # new recommendations joining clusters found before
    already_duplicates: int = 0  # found clusters whose members were all in one group already
    previously_rejected: int = 0
    campaigns_found: int = 0
    campaigns_new: int = 0
    campaign_members_added: int = 0
    campaigns_previously_rejected: int = 0
    answered_by_campaigns: int = 0  # recommendations repeating a campaign's template: not clustered
    stats: duplicates.ClusteringStats = field(default_factory=duplicates.ClusteringStats)


def _check_threshold(threshold: float) -> None:
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise ClusterError(f"The threshold must be a number above 0 and at most 1 (for example 0.7), not {threshold}.")


def _live_recommendations(session: Session, consultation: Consultation) -> list[Recommendation]:
    return list(session.scalars(
        select(Recommendation)
        .join(Recommendation.response)
        .where(Response.consultation_id == consultation.id)
        .order_by(Response.id, Recommendation.sequence, Recommendation.id)
    ))


def find_clusters(
    session: Session,
    consultation: Consultation,
    threshold: float = RECOMMENDATION_THRESHOLD,
    progress: duplicates.Progress | None = None,
    report: FindReport | None = None,
) -> FindReport:
    """Propose clusters of near-identical recommendations from different respondents.

    Safe to run again: a found cluster whose members are already one group of duplicates is
    skipped, one that a rejected cluster already covers is skipped, and new recommendations
    near an existing cluster join it (a confirmed cluster goes back to proposed until its new
    members are confirmed). Members staff removed are never added back to their cluster.
    """
    _check_threshold(threshold)
    report = report or FindReport(consultation.slug)
    answered = _answered_by_campaigns(session, consultation)
    recs = [rec for rec in _live_recommendations(session, consultation) if rec.id not in answered]
    by_id = {rec.id: rec for rec in recs}
    report.recommendations = len(recs)
    report.answered_by_campaigns = len(answered)
    found = duplicates.find_clusters(((rec.id, rec.text) for rec in recs), threshold,
                                     progress=progress, stats=report.stats)
    report.clusters_found = len(found)

    existing = list(session.scalars(
        select(Cluster).where(Cluster.consultation_id == consultation.id)
        .options(selectinload(Cluster.members), selectinload(Cluster.primary)).order_by(Cluster.id)
    ))
    active_of: dict[int, Cluster] = {}
    removed: set[tuple[int, int]] = set()
    rejected: list[frozenset[int]] = []
    for cluster in existing:
        if cluster.status == "rejected":
            rejected.append(frozenset(m.recommendation_id for m in cluster.members))
            continue
        for member in cluster.members:
            if member.removed_at is None:
                active_of.setdefault(member.recommendation_id, cluster)
            else:
                removed.add((cluster.id, member.recommendation_id))

    method = method_label(duplicates.WORD_SHINGLES)
    for group in found:
        ids = list(group.members)
        if len({by_id[i].duplicate_of_id or i for i in ids}) == 1:
            report.already_duplicates += 1
            continue
        holders = sorted({active_of[i].id: active_of[i] for i in ids if i in active_of}.values(), key=lambda c: c.id)
        if not holders:
            if any(frozenset(ids) <= seen for seen in rejected):
                report.previously_rejected += 1
                continue
            cluster = Cluster(consultation_id=consultation.id, primary_id=group.primary, status="proposed",
                              threshold=threshold, method=method)
            cluster.members = [ClusterMember(recommendation_id=i, score=round(group.scores[i], 4)) for i in ids]
            session.add(cluster)
            report.clusters_new += 1
            for i in ids:
                active_of[i] = cluster
            continue
        cluster = holders[0]
        newcomers = [i for i in ids if i not in active_of and (cluster.id, i) not in removed]
        if not newcomers:
            continue
        primary_text = by_id[cluster.primary_id].text if cluster.primary_id in by_id else by_id[ids[0]].text
        for i in newcomers:
            cluster.members.append(ClusterMember(
                recommendation_id=i, score=round(duplicates.similarity(primary_text, by_id[i].text), 4)))
            active_of[i] = cluster
        report.members_added += len(newcomers)
        if cluster.status == "confirmed":
            cluster.status = "proposed"  # its new members wait for a decision
    session.flush()
    return report


def find_campaigns(
    session: Session,
    consultation: Consultation,
    threshold: float = CAMPAIGN_THRESHOLD,
    progress: duplicates.Progress | None = None,
    report: FindReport | None = None,
) -> FindReport:
    """Propose campaigns: groups of whole responses written from one template.

    Re-running follows the same rules as ``find_clusters``: new look-alike responses join
    the campaign they resemble, and a rejected grouping is not proposed again.
    """
    _check_threshold(threshold)
    report = report or FindReport(consultation.slug)
    responses = list(session.scalars(
        select(Response).where(Response.consultation_id == consultation.id)
        .order_by(Response.id)
    ))
    by_id = {response.id: response for response in responses}
    report.responses = len(responses)
    found = duplicates.find_campaigns(((r.id, r.text) for r in responses), threshold, progress=progress)
    report.campaigns_found = len(found)

    existing = list(session.scalars(
        select(Campaign).where(Campaign.consultation_id == consultation.id)
        .options(selectinload(Campaign.members)).order_by(Campaign.id)
    ))
    active_of: dict[int, Campaign] = {}
    rejected: list[frozenset[int]] = []
    for campaign in existing:
        ids = frozenset(m.response_id for m in campaign.members)
        if campaign.status == "rejected":
            rejected.append(ids)
        else:
            for i in ids:
                active_of.setdefault(i, campaign)

    method = method_label(duplicates.CAMPAIGN_SHINGLES)
    for group in found:
        holders = sorted({active_of[i].id: active_of[i] for i in group.members if i in active_of}.values(),
                         key=lambda c: c.id)
        if not holders:
            if any(frozenset(group.members) <= seen for seen in rejected):
                report.campaigns_previously_rejected += 1
                continue
            campaign = Campaign(consultation_id=consultation.id, canonical_response_id=group.canonical,
                                status="proposed", threshold=threshold, method=method)
            campaign.members = [
                CampaignMember(response_id=i, similarity=round(v.similarity, 4), added=v.added, omitted=v.omitted)
                for i, v in group.variations.items()
            ]
            session.add(campaign)
            report.campaigns_new += 1
            for i in group.members:
                active_of[i] = campaign
            continue
        campaign = holders[0]
        newcomers = [i for i in group.members if i not in active_of]
        if not newcomers:
            continue
        template = by_id[campaign.canonical_response_id].text if campaign.canonical_response_id in by_id else ""
        for i in newcomers:
            v = duplicates.variation(template, by_id[i].text)
            campaign.members.append(CampaignMember(response_id=i, similarity=round(v.similarity, 4),
                                                   added=v.added, omitted=v.omitted))
            active_of[i] = campaign
        report.campaign_members_added += len(newcomers)
        if campaign.status == "confirmed":
            campaign.status = "proposed"
    session.flush()
    return report


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


# ---------------------------------------------------------------------------
# Deciding campaigns
# ---------------------------------------------------------------------------


@dataclass
class CampaignOutcome:
    """What confirming a campaign did: recommendations marked as duplicates of the template's,
    and those only a member made (its own additions), which are analysed on their own."""

    marked: int = 0
    own: list[Recommendation] = field(default_factory=list)


def _match_template(
    templates: Sequence[Recommendation], responses: Iterable[Response], threshold: float
) -> tuple[list[tuple[Recommendation, Recommendation]], list[Recommendation]]:
    """Pair each live recommendation of the campaign's other responses with the template
    recommendation it repeats; the rest are the supporters' own points."""
    template_sets = [(rec, duplicates.WORD_SHINGLES.shingles(rec.text)) for rec in templates]
    plans: list[tuple[Recommendation, Recommendation]] = []
    own: list[Recommendation] = []
    for response in responses:
        if response.deleted_at is not None:
            continue
        for rec in response.recommendations:
            if rec.deleted_at is not None:
                continue
            shingles = duplicates.WORD_SHINGLES.shingles(rec.text)
            best, score = None, 0.0
            for template, template_shingles in template_sets:
                value = duplicates.jaccard(shingles, template_shingles)
                if value > score:
                    best, score = template, value
            if best is not None and score >= threshold:
                plans.append((rec, best))
            else:
                own.append(rec)
    return plans, own


def _answered_by_campaigns(session: Session, consultation: Consultation) -> set[int]:
    """Recommendations that repeat their campaign's template (campaigns not rejected): the
    campaign decides them, so clusters need only the template's own recommendations."""
    campaigns = session.scalars(
        select(Campaign).where(Campaign.consultation_id == consultation.id, Campaign.status != "rejected")
        .options(selectinload(Campaign.canonical_response).selectinload(Response.recommendations),
                 selectinload(Campaign.members).selectinload(CampaignMember.response)
                 .selectinload(Response.recommendations))
    )
    answered: set[int] = set()
    for campaign in campaigns:
        canonical = campaign.canonical_response
        templates = [rec for rec in canonical.recommendations if rec.deleted_at is None]
        others = [m.response for m in campaign.members if m.response_id != canonical.id]
        plans, _ = _match_template(templates, others, CAMPAIGN_MATCH_THRESHOLD)
        answered.update(rec.id for rec, _ in plans)
    return answered


def confirm_campaign(
    session: Session,
    campaign: Campaign,
    user_id: int | None,
    decided: Collection[int] = (),
    match_threshold: float = CAMPAIGN_MATCH_THRESHOLD,
) -> CampaignOutcome:
    """Analyse the campaign once: each member's recommendation that matches one of the
    canonical response's becomes its duplicate; the rest (personal additions) stay separate."""
    if campaign.status == "rejected":
        raise ClusterError("This campaign was rejected. Run `duplicates find` again to propose new campaigns.")
    canonical = campaign.canonical_response
    if canonical.deleted_at is not None:
        raise ClusterError("The campaign's canonical response has been deleted. Restore it, or reject the campaign.")
    templates = [rec for rec in canonical.recommendations if rec.deleted_at is None]
    if not templates:
        raise ClusterError(
            "The canonical response has no recommendations yet, so there is nothing the members' recommendations "
            "could be duplicates of. Add its recommendations on its recommendations page first.")
    outcome = CampaignOutcome()
    members = session.scalars(
        select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)
        .options(selectinload(CampaignMember.response).selectinload(Response.recommendations)
                 .selectinload(Recommendation.duplicate_of))
        .order_by(CampaignMember.id)
    )
    plans, outcome.own = _match_template(templates, [m.response for m in members if m.response.id != canonical.id],
                                         match_threshold)
    _refuse_decided([rec for rec, _ in plans], decided, None,
                    "they cannot become duplicates of the campaign's recommendations")
    outcome.marked = _mark_duplicates(session, plans)
    campaign.status = "confirmed"
    campaign.decided_by_id = user_id
    campaign.decided_at = utcnow()
    session.flush()
    return outcome


def reject_campaign(session: Session, campaign: Campaign, user_id: int | None) -> Campaign:
    if campaign.status != "proposed":
        raise ClusterError(
            "This campaign has already been rejected." if campaign.status == "rejected" else
            "This campaign is confirmed: its members' recommendations are duplicates of the template's. To undo "
            "one, clear its duplicate mark on its response's recommendations page.")
    campaign.status = "rejected"
    campaign.decided_by_id = user_id
    campaign.decided_at = utcnow()
    session.flush()
    return campaign


__all__ = [
    "CAMPAIGN_THRESHOLD",
    "RECOMMENDATION_THRESHOLD",
    "CampaignOutcome",
    "ClusterError",
    "FindReport",
    "active_members",
    "confirm_campaign",
    "confirm_cluster",
    "find_campaigns",
    "find_clusters",
    "reject_campaign",
    "reject_cluster",
    "remove_member",
]
