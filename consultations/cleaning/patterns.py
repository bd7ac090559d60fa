"""What the cleaning steps share: the line they work on, and what they recognise (list markers,
bullets, page numbers and labels, dates, web addresses, emphasis) with their thresholds."""
from __future__ import annotations

import re
from dataclasses import dataclass


MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
#: Bullet glyphs, including the private-use ones a Symbol or Wingdings bullet becomes in PDF text.
BULLETS = "-•●▪◦‣∙·*–■□➢►▶✓✔❖◆◇○\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf06e\uf0a8"
LIST_MARKER = re.compile(
    rf"^(?P<marker>(?:[{BULLETS}]\s+)?(?:\(?(?:\d{{1,3}}|[a-z]|[ivx]{{1,5}})[.)]\s+)|[{BULLETS}]\s+)",
    re.IGNORECASE,
)
#: Spaces a level of list nesting is indented by in cleaned text (readers write the same).
INDENT = 4

_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$|^p(?:age|g)?\.?\s*\d{1,4}$", re.I
)
# "Page 3 of 9" anywhere in a short line, or "Page 3" set apart at its start or end: a header or footer.
_PAGE_LABEL = re.compile(
    r"\bpage\s+\d{1,4}\s*(?:of|/)\s*\d{1,4}\b|(?:^|\s{3,}|[|–-]\s*)Page\s+\d{1,4}\s*$|^Page\s+\d{1,4}(?:\s{3,}|\s*[|–-])", re.I
)
_DATE_ONLY = re.compile(
    rf"^(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{MONTHS})\.?,?\s+\d{{4}}$|^\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}$",
    re.I,
)
_WEB_ADDRESS = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_IMAGE = re.compile(
    r"^(?:<!--\s*image\s*-->|\[(?:image|figure|picture|logo|photo)[^\]]*\]|\((?:image|logo)\)|!\[[^\]]*\]\([^)]*\))$",
    re.I,
)
_BULLET_ONLY = re.compile(rf"^[{BULLETS}]$")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")  # what _strip_emphasis removes, in one pass
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)
_ATX = re.compile(r"^#{1,6}(?:\s|$)")
_BOLD_LINE = re.compile(r"^(\*\*|__)[^*_\s][^*_]{0,118}\1:?$")
_CELL_GAP = re.compile(r"\s{3,}")

RUNNING_TITLE_MAX = 150
FURNITURE_NEIGHBOURHOOD = 2
#: Lines at the top and at the bottom of each page where running headers and footers are looked for.
PAGE_EDGE = 3
#: Share of pages a line must head or foot (the same words, any page number) to be a running one.
RUNNING_SHARE = 0.4

@dataclass
class _Line:
    text: str
    page: int
    cut: bool = False  # a page break, or furniture removed: a gap that may fall inside a sentence

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())
