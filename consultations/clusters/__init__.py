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

One module per job: ``finding`` (proposals), ``deciding`` (clusters), ``campaigns`` (deciding
campaigns), ``common`` (thresholds and the error). Everything public is importable from
``consultations.clusters``.
"""

from .common import (
    ACTIVE, CAMPAIGN_MATCH_THRESHOLD, CAMPAIGN_THRESHOLD, ClusterError,
    RECOMMENDATION_THRESHOLD, method_in_words, method_label,
)
from .finding import FindReport, find_campaigns, find_clusters
from .deciding import active_members, confirm_cluster, reject_cluster, remove_member
from .campaigns import CampaignOutcome, confirm_campaign, reject_campaign

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
    "method_in_words",
    "reject_campaign",
    "reject_cluster",
    "remove_member",
]
