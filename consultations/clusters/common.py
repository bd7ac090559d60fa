"""The thresholds, statuses and error the cluster services share."""
from __future__ import annotations


from .. import duplicates


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
