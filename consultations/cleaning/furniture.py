"""Step 1: page furniture (numbers, running headers and footers, footnotes) found and cut."""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from .patterns import (
    FURNITURE_NEIGHBOURHOOD, LIST_MARKER, PAGE_EDGE, RUNNING_SHARE, RUNNING_TITLE_MAX,
    _BULLET_ONLY, _CELL_GAP, _DATE_ONLY, _IMAGE, _Line, _PAGE_LABEL, _PAGE_NUMBER, _WEB_ADDRESS,
)


# --- 1. page furniture --------------------------------------------------------------------------


def is_page_furniture(line: str) -> bool:
    """Lines that are furniture wherever they stand (not needing repetition to be spotted).

    >>> [is_page_furniture(line) for line in ("Page 2 of 5", "- 3 -", "April 2019", "www.clinks.org", "•", "We agree.")]
    [True, True, True, True, True, False]
    """
    stripped = line.strip()
    return bool(
        _PAGE_NUMBER.match(stripped)
        or _DATE_ONLY.match(stripped)
        or _WEB_ADDRESS.match(stripped)
        or _IMAGE.match(stripped)
        or _BULLET_ONLY.match(stripped)
    )


def running_key(line: str) -> tuple[str, int | None]:
    """What a header or footer line says once page labels are taken out, and the number left at
    its start or end, if any (a page number, when it goes up with the pages).

    >>> running_key("Department for Education          Page 2 of 5")
    ('department for education', None)
    >>> running_key("Northfield Trust response | 3")
    ('northfield trust response |', 3)
    """
    cells = [cell for cell in _CELL_GAP.split(line.strip()) if cell and not is_page_furniture(cell)]
    rest = _PAGE_LABEL.sub(" ", " ".join(cells)).strip()
    number = re.search(r"\s(\d{1,4})$|^(\d{1,4})\s", rest)
    if number:
        rest = (rest[: number.start()] + " " + rest[number.end() :]).strip()
    return " ".join(rest.split()).casefold(), int(number.group(1) or number.group(2)) if number else None


def _furniture_mask(lines: list[_Line]) -> list[bool]:
    """True for lines to keep.

    Furniture wherever it stands (``is_page_furniture``); a line with a page label in it ("Page 2
    of 5") is a header or footer whatever else it says. When the text has page breaks (a PDF), a
    line that heads or foots at least ``RUNNING_SHARE`` of the pages with the same words is a
    running header or footer; without them, running titles are short lines repeated next to other
    furniture. The document's first line is its own title, kept even when it is repeated later.
    """
    texts = [line.text for line in lines]
    keep = [True] * len(lines)
    furniture = [bool(text.strip()) and (is_page_furniture(text) or _has_page_label(text)) for text in texts]
    for i, is_furniture in enumerate(furniture):
        if is_furniture:
            keep[i] = False

    nonblank = [i for i, text in enumerate(texts) if text.strip()]
    first_line = nonblank[0] if nonblank else -1
    pages = defaultdict(list)
    for i in nonblank:
        pages[lines[i].page].append(i)
    if len(pages) >= 2:
        # Lines at the page edges saying the same on several pages; a number in them must go up
        # with the pages (a page number), so "Question 3" heading page 2 and "Question 4" page 5 stay.
        edges: dict[tuple[str, int | None], set[int]] = defaultdict(set)
        at_edge = []
        for page, numbers in pages.items():
            for i in {*numbers[:PAGE_EDGE], *numbers[-PAGE_EDGE:]}:
                if furniture[i] or not _could_be_running_title(texts[i]):
                    continue
                text_key, number = running_key(texts[i])
                key = (text_key, None if number is None else number - page)
                if text_key:
                    edges[key].add(page)
                    at_edge.append((i, key))
        needed = max(2, RUNNING_SHARE * len(pages))
        for i, key in at_edge:
            if i != first_line and len(edges[key]) >= needed:
                keep[i] = False

    _drop_footnotes(texts, keep, [line.cut for line in lines])

    position = {line_no: n for n, line_no in enumerate(nonblank)}
    candidates = Counter(_normalise(texts[i]) for i in nonblank if _could_be_running_title(texts[i]))
    for i in nonblank:
        key = _normalise(texts[i])
        if candidates.get(key, 0) < 2 or not _could_be_running_title(texts[i]):
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


_FOOTNOTE = re.compile(r"^\s*(?:\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})\s+\S")
FOOTNOTE_LINES = 12


def _drop_footnotes(texts: list[str], keep: list[bool], breaks: list[bool]) -> None:
    """Footnotes at the foot of a page ("6 Id. at 60979."), the lines just above a running footer,
    page number or page break that start with a note's number, are furniture too: a sentence
    running over the page break then joins up across them.

    >>> texts = ["An area ONC should address is what constitutes an", "", "6 Id. at 60979.", "7 Id. at 60982.",
    ...          "page 4", "", "electronic signature."]
    >>> keep = [True, True, True, True, False, True, True]
    >>> _drop_footnotes(texts, keep, [False] * 7); keep
    [True, True, False, False, False, True, True]
    """
    for i in range(1, len(texts)):
        if (keep[i] and not breaks[i]) or not (keep[i - 1] or not texts[i - 1].strip()):
            continue  # not the first line of a run of furniture
        end = i
        while end > 0 and not texts[end - 1].strip():
            end -= 1
        start = end
        while start > 0 and keep[start - 1] and texts[start - 1].strip() and end - start < FOOTNOTE_LINES:
            start -= 1
        if start < end and (start == 0 or not texts[start - 1].strip()) and _FOOTNOTE.match(texts[start]):
            if not LIST_MARKER.match(texts[start].strip()):
                for j in range(start, end):
                    keep[j] = False


def _has_page_label(line: str) -> bool:
    """A short line naming its page ("Northfield Trust response, Page 2 of 5")."""
    stripped = line.strip()
    return (len(_normalise(stripped)) <= RUNNING_TITLE_MAX and bool(_PAGE_LABEL.search(stripped))
            and not stripped.endswith((".", ",")))


def _could_be_running_title(line: str) -> bool:
    stripped = line.strip()
    return (
        0 < len(_normalise(stripped)) <= RUNNING_TITLE_MAX
        and not LIST_MARKER.match(stripped)
        and not stripped.endswith((".", ":", ";", ","))
    )


def _normalise(line: str) -> str:
    return " ".join(line.split()).casefold()
