"""Clean extracted document text before anything is anchored to it.

PDF-to-text output carries page furniture: running titles repeated on every page, dates,
web addresses, page numbers, image placeholders and bullet glyphs left on lines of their
own. Spans are character offsets into the *cleaned* text, so cleaning happens first and
once. The result is one block per paragraph, heading or list item, separated by a blank
line; hard-wrapped lines are joined and emphasis markers are dropped.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter

MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
LIST_MARKER = re.compile(
    r"^(?P<marker>(?:[-•●▪◦‣∙·*–]\s+)?(?:\(?(?:\d{1,3}|[a-z]|[ivx]{1,5})[.)]\s+)|[-•●▪◦‣∙·*–]\s+)",
    re.IGNORECASE,
)

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$", re.I)
_DATE_ONLY = re.compile(
    rf"^(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{MONTHS})\.?,?\s+\d{{4}}$|^\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}$",
    re.I,
)
_WEB_ADDRESS = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_IMAGE = re.compile(
    r"^(?:<!--\s*image\s*-->|\[(?:image|figure|picture|logo|photo)[^\]]*\]|\((?:image|logo)\)|!\[[^\]]*\]\([^)]*\))$",
    re.I,
)
_BULLET_ONLY = re.compile(r"^[-•●▪◦‣∙·*–]$")
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")  # what _strip_emphasis removes, in one pass
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)

RUNNING_TITLE_MAX = 150
FURNITURE_NEIGHBOURHOOD = 2


def clean_text(raw: str) -> str:
    """Return the cleaned text: blocks separated by one blank line, ending in a newline."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.replace("\u00a0", " ").translate(_ZERO_WIDTH)
    lines = [line.rstrip() for line in text.split("\n")]
    keep = _furniture_mask(lines)
    blocks = _reflow([line if keep[i] else "" for i, line in enumerate(lines)])
    blocks = [_strip_emphasis(block) for block in blocks]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _strip_emphasis(block: str) -> str:
    """``_EMPHASIS.sub(r"\\2", block)`` for a block (one line): **bold** and __bold__ lose their
    markers. The regex looks for a closing marker to the end of the line from every opening one,
    so a line of many unclosed ``**`` takes quadratic time; here each opening marker finds the
    first closing one after it by bisection."""
    if "**" not in block and "__" not in block:
        return block
    markers = [m.start() for m in re.finditer(r"(?=\*\*|__)", block)]  # overlapping: '***' holds two
    closers = {marker: [j for j in markers if block.startswith(marker, j) and j and not block[j - 1].isspace()]
               for marker in ("**", "__")}
    out, done = [], 0
    for i in markers:
        if i < done or i + 2 >= len(block) or block[i + 2].isspace():
            continue
        candidates = closers[block[i : i + 2]]
        k = bisect.bisect_left(candidates, i + 3)  # at least one character inside
        if k < len(candidates):
            j = candidates[k]
            out += [block[done:i], block[i + 2 : j]]
            done = j + 2
    out.append(block[done:])
    return "".join(out)


def is_page_furniture(line: str) -> bool:
    """Lines that are furniture wherever they stand (not needing repetition to be spotted)."""
    stripped = line.strip()
    return bool(
        _PAGE_NUMBER.match(stripped)
        or _DATE_ONLY.match(stripped)
        or _WEB_ADDRESS.match(stripped)
        or _IMAGE.match(stripped)
        or _BULLET_ONLY.match(stripped)
    )


def _furniture_mask(lines: list[str]) -> list[bool]:
    """True for lines to keep. Running titles are short lines repeated next to other furniture."""
    keep = [True] * len(lines)
    furniture = [bool(line.strip()) and is_page_furniture(line) for line in lines]
    for i, is_furniture in enumerate(furniture):
        if is_furniture:
            keep[i] = False

    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    first_line = nonblank[0] if nonblank else -1
    position = {line_no: n for n, line_no in enumerate(nonblank)}
    candidates = Counter(
        _normalise(lines[i]) for i in nonblank if _could_be_running_title(lines[i])
    )
    for i in nonblank:
        key = _normalise(lines[i])
        if candidates.get(key, 0) < 2 or not _could_be_running_title(lines[i]):
            continue
        if i == first_line:
            continue  # the document's own title, repeated later as a running header
        n = position[i]
        window = nonblank[max(0, n - FURNITURE_NEIGHBOURHOOD) : n + FURNITURE_NEIGHBOURHOOD + 1]
        near_furniture = any(furniture[j] for j in window if j != i)
        many_words = candidates[key] >= 3 and len(key.split()) >= 4
        if near_furniture or many_words:
            keep[i] = False
    return keep


def _could_be_running_title(line: str) -> bool:
    stripped = line.strip()
    return (
        0 < len(stripped) <= RUNNING_TITLE_MAX
        and not LIST_MARKER.match(stripped)
        and not stripped.endswith((".", ":", ";", ","))
    )


def _normalise(line: str) -> str:
    return " ".join(line.split()).casefold()


def _reflow(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines into blocks; list items and headings start their own block."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(" ".join(part.strip() for part in current if part.strip()))
            current.clear()

    for line in lines:
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        starts_item = bool(LIST_MARKER.match(stripped)) or stripped.startswith("#")
        after_heading = len(current) == 1 and _looks_like_heading(current[0]) and stripped[:1].isupper()
        if current and (starts_item or after_heading):
            flush()
        current.append(stripped)
    flush()
    return [" ".join(block.split()) for block in blocks if block]


def _looks_like_heading(line: str) -> bool:
    stripped = line.strip()
    return (
        len(stripped) < 60
        and not stripped.endswith((".", ",", ";", ":"))
        and not LIST_MARKER.match(stripped)
        and stripped[:1].isupper()
    )
