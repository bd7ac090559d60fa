"""Step 1: the cleaned text split into blocks (headings, paragraphs, quotations, list items with
their nesting), each with its character offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..cleaning import BULLETS, INDENT, LIST_MARKER
from .rules import _POLITE_ASK, _section_title
from .sentences import split_sentences


# --- blocks -------------------------------------------------------------------------

_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv"}


@dataclass
class Block:
    kind: str  # "heading", "paragraph", "item" or "quote"
    start: int  # offsets of the content, without any list marker or quotation mark
    end: int
    text: str
    marker: str = ""
    depth: int = 0  # list nesting, from the cleaned text's indentation

    @property
    def label(self) -> str:
        return re.sub(rf"^[{BULLETS}]\s*", "", self.marker).strip(" ().").lower()

    @property
    def upper(self) -> bool:
        """A capital letter or numeral ("A.", "IV.")."""
        label = re.sub(rf"^[{BULLETS}]\s*", "", self.marker).strip(" ().")
        return label.isalpha() and label.isupper()

    @property
    def marker_kind(self) -> str | None:
        """'number', 'letter', 'roman' (ii, iv ...; a lone i, v or x is told apart in context) or
        'bullet'; None for other blocks."""
        if not self.marker:
            return None
        label = self.label
        if not label:
            return "bullet"
        if label.isdigit():
            return "number"
        return "roman" if label in _ROMAN and len(label) > 1 else "letter"


def split_blocks(text: str) -> list[Block]:
    """The blocks of a cleaned text, one a line.

    >>> [(b.kind, b.depth, b.text) for b in split_blocks("# Asks\\n\\n1. Fund it:\\n\\n    a) now\\n\\n> Quoted.\\n")]
    [('heading', 0, 'Asks'), ('item', 0, 'Fund it:'), ('item', 1, 'now'), ('quote', 0, 'Quoted.')]
    """
    blocks: list[Block] = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group(0)
        content = line.lstrip(" ")
        if not content.strip():
            continue
        start = match.start() + len(line) - len(content)
        depth = (len(line) - len(content)) // INDENT
        marker_match = LIST_MARKER.match(content)
        if content.startswith(">"):
            body = content.lstrip("> ")
            blocks.append(Block("quote", match.end() - len(body), match.end(), body))
        elif marker_match:
            marker = marker_match.group("marker")
            blocks.append(Block("item", start + len(marker), match.end(), content[len(marker):], marker.strip(), depth))
        elif _is_heading(content):
            body = content.lstrip("#").strip()
            offset = content.index(body) if body else 0
            blocks.append(Block("heading", start + offset, match.end(), body))
        else:
            blocks.append(Block("paragraph", start, match.end(), content))
    for n, block in enumerate(blocks):
        following = blocks[n + 1] if n + 1 < len(blocks) else None
        if block.kind == "item" and _numbered_heading(block, following):
            block.kind = "heading"
    return blocks


def _numbered_heading(block: Block, following: Block | None) -> bool:
    """A numbered line standing over a paragraph ("II. Preserve strong API baselines", then its
    text) is a section heading, not a list of one item.

    >>> [block.kind for block in split_blocks("II. Preserve Strong API Baselines\\n\\nWe support it.\\n")]
    ['heading', 'paragraph']
    """
    return (
        (block.depth == 0 or block.upper)
        and block.marker_kind in ("number", "letter", "roman")
        and following is not None
        and following.kind == "paragraph"
        and _is_heading(block.text)
        and not block.text.endswith("?")
    )


def _is_heading(line: str) -> bool:
    """Short lines without closing punctuation, single questions (a consultation's own), and a
    section's title followed by a colon ("Summary of Recommendations:")."""
    if line.startswith("#"):
        return True
    if line.endswith(":") and _section_title(line[:-1].strip()):
        return True
    if not (line[:1].isupper() or line[:1].isdigit()):
        return False
    if line.endswith("?"):  # (a polite request of the respondent's own is not a heading)
        return len(line) <= 250 and len(split_sentences(line)) == 1 and not _POLITE_ASK.search(line)
    return len(line) <= 120 and len(line.split()) <= 16 and not line.endswith((".", ",", ";", ":", "!"))
