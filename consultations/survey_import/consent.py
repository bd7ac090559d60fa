"""What a row's privacy answer means for publication (conservative: see the package), and
which answers only point at a written response."""
from __future__ import annotations

import re


from ..bulk import (
    normalise,
)


INDIVIDUAL = re.compile(r"citizen|individual|private (person|capacity|individual)|member of the public|"
                        r"personal capacity|myself|resident", re.IGNORECASE)
_CONFIDENTIAL = re.compile(r"confidential|not (to )?be published|do not publish|don't publish|not for publication|"
                           r"no publication|private")
_ANONYMOUS = re.compile(r"anonym")
_NAMED = re.compile(r"public|personal information|with (my|your|our) (organi[sz]ation'?s? )?(name|details)|named|"
                    r"be published|yes")

# "See written response", "Please refer to the attached position paper", "(Ver documento
# adjunto)": a pointing word followed, within a few words, by a word for a document.
_PLACEHOLDER = re.compile(
    r"\b(see|cf|cfr|refer|referring|please find|details in|ver|vedi|siehe|voir)\b"
    r"\W+(?:[\w'’.,-]+\W+){0,7}?"
    r"(written|attach\w*|enclos\w*|upload\w*|document\w*|(?<!white )paper|submission|contribution|response|"
    r"annex\w*|file|position|statement|adjunto|allegato|anhang|anlage|beigef\w*|jointe?|"
    r"(?:complementary|separate|detailed|full|additional) answer)\b",
    re.IGNORECASE)
PLACEHOLDER_MAX = 300

# --- consent --------------------------------------------------------------------------


def consent_for(privacy: str, respondent_type: str, organisation: str) -> tuple[str, bool]:
    """(consent, recognised): named only for an organisation that chose publication with its
    details; anonymous for individuals, for rows without an organisation name, and when the
    setting is missing or not understood; confidential when it says not to publish."""
    words = normalise(privacy)
    if _CONFIDENTIAL.search(words):
        return "confidential", True
    if _ANONYMOUS.search(words):
        return "anonymous", True
    recognised = bool(_NAMED.search(words))
    if INDIVIDUAL.search(respondent_type or "") or not organisation:
        return "anonymous", recognised
    return ("named" if recognised else "anonymous"), recognised


def is_placeholder(answer: str) -> bool:
    """An answer that points elsewhere ("See written response", "Please refer to the
    attached paper") rather than answering here."""
    return len(answer) <= PLACEHOLDER_MAX and bool(_PLACEHOLDER.search(answer))
