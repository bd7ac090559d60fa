"""Finding clusters of near-duplicate recommendations and campaigns of template responses, and
storing them as proposals (a rejected grouping is not proposed again)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import duplicates
from ..models import (
    Campaign,
    CampaignMember,
    Cluster,
    ClusterMember,
    Consultation,
    Recommendation,
    Response,
)
from .campaigns import _answered_by_campaigns
from .common import CAMPAIGN_THRESHOLD, ClusterError, RECOMMENDATION_THRESHOLD, method_label


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
