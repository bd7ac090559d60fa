"""Step 4: headings glued to the paragraph after them split off."""
from __future__ import annotations

import re

from .blocks import _Block
from .patterns import _Line


# --- 4. glued headings --------------------------------------------------------------------------

_MINOR = {"of", "for", "and", "the", "to", "in", "on", "a", "an", "with", "by", "at", "from", "or", "vs", "&", "-", "–"}
_PRONOUN_STARTERS = {"We", "I", "Our", "It", "Its", "This", "These", "Those", "There", "They", "Their"}
_OTHER_STARTERS = {"The", "A", "An", "In", "As", "While", "Although", "However", "For", "When", "If", "Where",
                   "Many", "Some", "All", "Most", "Overall", "Currently"}
_HEADING_WORDS = 10


def glued_heading_end(text: str) -> int | None:
    """Where a heading run into the first sentence of its paragraph ends, or None.

    PDF text often runs a heading and the first line of its paragraph together. The heading is a
    few words without sentence punctuation; the sentence starts with a word sentences start with
    ("We", "The", "This" ...) followed by a word in lower case. After "The", "In" and other
    common openings the heading must be in title case, so an ordinary sentence is left alone.

    >>> text = "Timescales for Adoption We agree that two years is too short."
    >>> text[:glued_heading_end(text)]
    'Timescales for Adoption'
    >>> glued_heading_end("Funding The agency must set out its costs."), glued_heading_end("The agency must act.")
    (7, None)
    >>> glued_heading_end("Role of the voluntary sector in probation services"), glued_heading_end("As we said, We agree.")
    (None, None)
    """
    words = text.split(" ", _HEADING_WORDS + 2)
    if len(words) < 3 or not (words[0][:1].isupper() or words[0][:1].isdigit()):
        return None
    offset = 0
    for n, word in enumerate(words[: _HEADING_WORDS + 1]):
        if n and (word in _PRONOUN_STARTERS or word in _OTHER_STARTERS) and n + 1 < len(words):
            following = words[n + 1]
            heading = words[:n]
            title_case = all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _MINOR for w in heading)
            numbered = all(re.fullmatch(r"[\d.()]+", w) for w in heading)  # "2.1 The current scheme ..."
            if (
                (following[:1].islower() or word == "I")
                and (title_case or (word in _PRONOUN_STARTERS and n <= 4))
                and not numbered
                and heading[-1].lower() not in _MINOR  # a heading does not end in "the"
            ):
                return offset - 1
        if re.search(r"[.!?;:,|\"“”()]", word) and not re.fullmatch(r"\d+(?:\.\d+)*\.?", word):
            return None
        offset += len(word) + 1
    return None


def _split_glued_headings(blocks: list[_Block]) -> list[_Block]:
    out: list[_Block] = []
    for block in blocks:
        end = glued_heading_end(block.text) if block.kind == "paragraph" else None
        if end is None:
            out.append(block)
            continue
        text = block.text
        page, indent = block.lines[0].page, " " * block.indent
        out.append(_Block("paragraph", [_Line(indent + text[:end], page)], block.gap))
        out.append(_Block("paragraph", [_Line(indent + text[end:].strip(), page)], "blank"))
    return out
