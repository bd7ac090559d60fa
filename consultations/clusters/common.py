"""The thresholds, statuses and error the cluster services share."""
from __future__ import annotations

import re

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


_WORD_RUNS = re.compile(r"word (\d+)-shingles")


def method_in_words(method: str | None, threshold: float | None) -> str:
    """How a group was found, for staff pages: the stored ``method_label`` names the algorithm
    ("MinHash LSH, word 3-shingles, exact Jaccard"); people need what it compared and how alike."""
    runs = _WORD_RUNS.search(method or "")
    if not threshold:
        return "Similar wording"
    share = f"at least {round(threshold * 100)}%"
    if runs is None:
        return f"Similar wording: {share} alike"
    return f"Similar wording: {share} of their runs of {runs.group(1)} words in a row are the same"
