"""What extraction returns (``ExtractedRecommendation``) and the candidates it works on."""
from __future__ import annotations

from dataclasses import dataclass, field

from .blocks import Block


# --- result -------------------------------------------------------------------------


@dataclass
class ExtractedRecommendation:
    key: str
    text: str
    parent: str | None
    spans: list[tuple[int, int]]
    references: list[str] = field(default_factory=list)
    unresolved_references: list[str] = field(default_factory=list)
    heading: str | None = None  # the question or topic heading it was found under
    items: list = field(default_factory=list, repr=False)  # resolved framework items
    evidence: dict = field(default_factory=dict, repr=False)  # id(item) -> words matched

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "text": self.text,
            "parent": self.parent,
            "spans": [list(span) for span in self.spans],
            "references": list(self.references),
            "unresolved_references": list(self.unresolved_references),
        }


@dataclass
class _Candidate:
    spans: list[tuple[int, int]]
    heading: str | None
    children: list[_Candidate] = field(default_factory=list)
    restates: bool = False  # said in a conclusion: a recommendation made earlier, said again
    opening: bool = False  # in a summary before the body, which says each point again at length
    listed: int | None = None  # the list it is an item of (the list's first block), if any
    section: int = -1  # the heading it stands under, by block (-1 before any heading)
    titled: bool = False  # a heading that states the ask its section argues


@dataclass
class _Node:
    """A list item and the items nested under it."""

    block: Block
    children: list[_Node] = field(default_factory=list)
