"""Step 3: sentences cut by a page break or a removed line joined again."""
from __future__ import annotations

import re

from .blocks import _Block


# --- 3. cut sentences ---------------------------------------------------------------------------

_ENDS_SENTENCE = re.compile(r"[.!?:]['\"’”)\]]*$|[.!?]\s*[¹²³⁴⁵⁶⁷⁸⁹⁰\d]{1,3}$")
_ENDS_MID_SENTENCE = re.compile(
    r"(?:,|\b(?:the|a|an|of|to|and|or|for|in|on|with|that|by|as|at|from|is|are|be|been|should|must|will|would|"
    r"could|can|may|which|who|whose|its|their|our|this|these|those|not|than|into|under|between|such))$",
    re.I,
)


def continues(before: str, after: str, *, across_cut: bool) -> bool:
    """Whether ``after`` carries on the sentence ``before`` left unfinished, when a blank line or
    (``across_cut``) a page break or removed header stands between them.

    A sentence that ends without its full stop and a next block that starts in lower case are one
    sentence. Across a page break, a next block in capitals also carries on when the first stopped
    on a word that cannot end a sentence ("... the department should").

    >>> continues("We recommend that the department consults providers before the", "new duty starts.", across_cut=True)
    True
    >>> continues("The department should", "Ensure that it consults.", across_cut=True)
    True
    >>> continues("We agree.", "the rest", across_cut=True), continues("Funding", "The agency must act.", across_cut=True)
    (False, False)
    """
    before, after = before.rstrip(), after.lstrip()
    if not before or not after or _ENDS_SENTENCE.search(before):
        return False
    if after[:1].islower():
        return across_cut or len(before.split()) >= 6 or bool(_ENDS_MID_SENTENCE.search(before))
    return across_cut and bool(_ENDS_MID_SENTENCE.search(before)) and after[:1].isalnum()


def _rejoin(blocks: list[_Block]) -> list[_Block]:
    """A paragraph that carries on the sentence of the block before it (``continues``) joins it."""
    out: list[_Block] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            previous is not None
            and block.kind == "paragraph"
            and previous.kind in ("paragraph", "item")
            and block.gap in ("blank", "cut")
            and continues(" ".join(line.stripped for line in previous.lines[-3:]), block.lines[0].stripped,
                          across_cut=block.gap == "cut")  # the last lines say how it ends
        ):
            previous.lines.extend(block.lines)
            continue
        out.append(block)
    return out
