"""Deciding campaigns: each member response's recommendations become duplicates of the
canonical response's they repeat; the rest are the supporter's own points."""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import duplicates
from ..models import (
    Campaign,
    CampaignMember,
    Consultation,
    Recommendation,
    Response,
    utcnow,
)
from .common import CAMPAIGN_MATCH_THRESHOLD, ClusterError
from .deciding import _mark_duplicates, _refuse_decided


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
