"""Anchoring recommendations to the response text: the passage each one comes from.

A recommendation's ``spans`` are ``[start, end]`` character offsets (Python string indices, so
code points) into ``Response.text``, the cleaned text that the response page shows. Staff
correct what extraction got wrong, and every correction keeps or finds that anchor:

* a passage selected on the page arrives as offsets, checked here (``parse_selection``);
* typed text is looked for in the document with case, punctuation, whitespace and line
  breaks folded (``locate``), in linear time;
* an edit re-anchors the text if it is still in the response, and otherwise keeps the original
  passage as its source (``reanchor``);
* a split cuts the passage at the point chosen in the recommendation's text
  (``split_points``, ``split_passage``).

Plain functions on strings and lists: no database, no Flask.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

Span = tuple[int, int]

# Words are runs of letters and digits; everything between them (spaces, line breaks,
# punctuation, Markdown marks) is folded away when texts are compared.
_WORD = re.compile(r"\w+")
# Quotes and dashes people type differently from the document: the same for comparison.
_SAME_CHARACTER = str.maketrans("‘’‚‛′“”„‟″–—‐‑−", "''''\"\"\"\"\"\"-----")
# Alignment of an edited or marked-up text with its passage is quadratic at worst: beyond
# this many word pairs, a part that cannot be matched exactly keeps the original passage.
ALIGN_LIMIT = 4_000_000
LABEL_CHARACTERS = 40


class AnchoringError(ValueError):
    """A passage that cannot anchor a recommendation; the message says why and what to do."""


def words(text: str, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """The words of ``text[start:end]``, case-folded, with their offsets in ``text``.

    >>> words("We urge\\nthe Board.")
    [('we', 0, 2), ('urge', 3, 7), ('the', 8, 11), ('board', 12, 17)]
    """
    end = len(text) if end is None else end
    return [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(text, start, end)]


def same_words(a: str, b: str) -> bool:
    """True when two texts differ only in case, spacing, line breaks and punctuation."""
    return [w for w, _, _ in words(a)] == [w for w, _, _ in words(b)]


def reader_text(passage: str) -> str:
    """A passage as a recommendation's text: whitespace and line breaks folded to one space."""
    return " ".join(passage.split())


def valid_spans(spans: Iterable[Any] | None, length: int) -> list[Span]:
    """The usable ``(start, end)`` spans of stored JSON, clamped to the text, in stored order
    (the first is the primary anchor); anything malformed or empty is dropped."""
    found = []
    for span in spans or []:
        try:
            start, end = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError, KeyError):
            continue
        start, end = max(0, start), min(length, end)
        if start < end:
            found.append((start, end))
    return found


def merged_spans(spans: Iterable[Any] | None, length: int) -> list[tuple[int, int]]:
    """Usable spans in text order, overlapping ones merged (stored JSON may be messy or stale)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(valid_spans(spans, length)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def primary_start(spans: Iterable[Any] | None, length: int) -> int | None:
    """Where a recommendation is made in the text (its first span's start), or None."""
    usable = valid_spans(spans, length)
    return usable[0][0] if usable else None


def _trim(document: str, start: int, end: int) -> Span | None:
    while start < end and document[start].isspace():
        start += 1
    while end > start and document[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def parse_selection(start: Any, end: Any, document: str) -> Span | None:
    """The passage staff selected on the page, as sent by the form: None when nothing was
    selected (both empty), else a checked span with surrounding whitespace left out.

    >>> parse_selection("3", "12", "We urge the Board.")
    (3, 11)
    """
    start = "" if start is None else str(start).strip()
    end = "" if end is None else str(end).strip()
    if not start and not end:
        return None
    if not start or not end:
        raise AnchoringError("The selected passage arrived without its start or end. "
                             "Select the passage again, or clear the selection and type its text.")
    if not (start.isdigit() and end.isdigit()) or len(start) > 9 or len(end) > 9:
        raise AnchoringError("The start and end of the selected passage must be whole numbers of characters. "
                             "Select the passage again.")
    first, last = int(start), int(end)
    if first >= last:
        raise AnchoringError("The selected passage must start before it ends. Select the passage again.")
    if last > len(document):
        raise AnchoringError(f"The selected passage ends after the response text, which has {len(document)} "
                             "characters. Reload the page and select the passage again.")
    span = _trim(document, first, last)
    if span is None:
        raise AnchoringError("The selected passage holds only spaces. Select the words of the recommendation.")
    return span


def _fold_character(character: str) -> str:
    return character.translate(_SAME_CHARACTER).casefold()


def _extend(document: str, text: str, span: Span, low: int, high: int) -> Span:
    """Widen a span found by its words over the punctuation the typed text starts or ends
    with, when the document has it there too (an opening quote, a closing full stop)."""
    text = text.strip()
    found = words(text)
    head = [c for c in text[:found[0][1]] if not c.isspace()]
    tail = [c for c in text[found[-1][2]:] if not c.isspace()]
    start, end = span
    for character in reversed(head):
        if start > low and _fold_character(document[start - 1]) == _fold_character(character):
            start -= 1
        else:
            break
    for character in tail:
        if end < high and _fold_character(document[end]) == _fold_character(character):
            end += 1
        else:
            break
    return start, end


def locate(document: str, text: str, near: int | None = None, within: Span | None = None) -> Span | None:
    """Where ``text`` occurs in ``document``, comparing words only (case, whitespace, line
    breaks and punctuation folded), or None.

    With ``near``, the occurrence closest to that offset; with ``within``, only inside that
    span. Linear in the document's length: the words are joined into one string and found
    with ``str.find`` (two-way search), never compared pair by pair.

    >>> locate("Intro.\\n\\nWe urge the\\nBoard to act.", "we urge the board")
    (8, 25)
    """
    needle = [w for w, _, _ in words(text)]
    if not needle:
        return None
    low, high = within if within is not None else (0, len(document))
    hay = words(document, low, high)
    if len(needle) > len(hay):
        return None
    joined = " " + " ".join(w for w, _, _ in hay) + " "
    target = " " + " ".join(needle) + " "
    index_of, position = {}, 1
    for i, (word, _, _) in enumerate(hay):
        index_of[position] = i
        position += len(word) + 1
    best: Span | None = None
    at = joined.find(target)
    while at != -1:
        first = index_of[at + 1]
        candidate = (hay[first][1], hay[first + len(needle) - 1][2])
        if near is None:
            best = candidate
            break
        if best is None or abs(candidate[0] - near) < abs(best[0] - near):
            best = candidate
        elif candidate[0] > near:
            break  # later occurrences are further away still
        at = joined.find(target, at + len(target) - 1)
    return _extend(document, text, best, low, high) if best else None


def _window(needle: Sequence[str], hay: Sequence[str]) -> tuple[int, int] | None:
    """The shortest run of ``hay`` holding every word of ``needle`` in order (others may come
    between them), ending as early as possible: indices of its first and last word, or None.
    Linear: one pass forward to the earliest end, one back to the latest start."""
    if not needle:
        return None
    j = 0
    for word in needle:
        while j < len(hay) and hay[j] != word:
            j += 1
        if j == len(hay):
            return None
        j += 1
    last = k = j - 1
    for word in reversed(needle):
        while hay[k] != word:
            k -= 1
        first = k
        k -= 1
    return first, last


def traced(document: str, text: str, spans: Sequence[Any] | None) -> bool:
    """True when ``text`` can be traced to its passages: its words all appear in them, in the
    same order (the spans taken in order: one passage, several merged), whatever the spacing,
    case and punctuation; words may have been left out, none added or changed.

    >>> traced("Fund it. Then review it.", "then REVIEW", [[0, 8], [9, 24]])
    True
    """
    needle = [w for w, _, _ in words(text)]
    hay = [w for start, end in valid_spans(spans, len(document)) for w, _, _ in words(document, start, end)]
    return _window(needle, hay) is not None


def locate_within(document: str, text: str, span: Span) -> Span | None:
    """The shortest part of ``span`` that holds the words of ``text`` in order (a shortened
    edit of the passage), or None.

    >>> locate_within("We urge the Board, and the Trust, to act now.", "we urge the board to act", (0, 46))
    (0, 40)
    """
    hay = words(document, *span)
    window = _window([w for w, _, _ in words(text)], [w for w, _, _ in hay])
    if window is None:
        return None
    return _extend(document, text, (hay[window[0]][1], hay[window[1]][2]), *span)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class Anchored:
    """Spans for a recommendation's text, and whether the text itself is in the response
    (``found``); when it is not, ``spans`` are the original passage, kept as its source."""

    spans: list[list[int]]
    found: bool


def reanchor(document: str, text: str, spans: Sequence[Any] | None) -> Anchored:
    """Anchor edited text: its own passage if it is still in the response (the occurrence
    nearest the old one, or the part of the old passage it shortens by leaving words out),
    else the original spans unchanged.

    When the text is found at the old primary passage, the other passages (the same point made
    again elsewhere in the response) are narrowed the same way where the text is in them too.
    """
    old = valid_spans(spans, len(document))
    found = locate(document, text, near=old[0][0] if old else None)
    if found is None and old:
        found = locate_within(document, text, old[0])  # words left out of the passage
    if found is None:
        return Anchored([list(span) for span in old], False)
    new = [found]
    if old and _overlaps(found, old[0]):
        for span in old[1:]:
            if not _overlaps(span, found):
                new.append(locate(document, text, within=span) or locate_within(document, text, span) or span)
    return Anchored([list(span) for span in new], True)


@dataclass(frozen=True)
class SplitPoint:
    """A place between two words of a recommendation's text where it may be split.

    ``kind`` is ``sentence`` (a new sentence starts), ``clause`` (after ``;`` or ``:``),
    ``item`` (a list marker such as ``(b)`` starts) or ``word``.
    """

    offset: int
    kind: str
    before: str
    after: str

    @property
    def label(self) -> str:
        return f"{self.before} | {self.after}"


_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[;:][\"'”’)\]]*$")
_LIST_MARKER = re.compile(r"^(\(?([a-z]|[ivx]{1,4}|\d{1,2})[.)]|[•\-–*])$", re.IGNORECASE)
_STARTS_SENTENCE = re.compile(r"^[\"'“‘(\[]*[A-Z0-9]")


def _context(text: str, start: int, end: int, towards_end: bool) -> str:
    """A few words either side of a point, cut at a word boundary, with … where cut."""
    piece = " ".join(text[start:end].split())
    if len(piece) <= LABEL_CHARACTERS:
        return piece
    if towards_end:
        cut = piece[:LABEL_CHARACTERS]
        return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    cut = piece[-LABEL_CHARACTERS:]
    return "…" + (cut.split(" ", 1)[1] if " " in cut else cut)


def split_points(text: str) -> list[SplitPoint]:
    """Every point between two words of ``text``, with what kind of boundary it is.

    >>> [(p.offset, p.kind) for p in split_points("Fund it. Review it; (b) publish; then report")]
    [(5, 'word'), (9, 'sentence'), (16, 'word'), (20, 'item'), (24, 'word'), (33, 'clause'), (38, 'word')]
    """
    tokens = list(re.finditer(r"\S+", text))
    points = []
    for previous, token in zip(tokens, tokens[1:]):
        word = token.group()
        if _LIST_MARKER.match(word):
            kind = "item"
        elif _SENTENCE_END.search(previous.group()) and _STARTS_SENTENCE.match(word):
            kind = "sentence"
        elif _CLAUSE_END.search(previous.group()):
            kind = "clause"
        else:
            kind = "word"
        offset = token.start()
        points.append(SplitPoint(offset, kind, _context(text, 0, offset, False),
                                 _context(text, offset, len(text), True)))
    return points


@dataclass(frozen=True)
class SplitParts:
    """The two parts of a recommendation split at a point: texts, spans, and whether each
    part's text was traced to its own passage (``False``: it keeps the original passage)."""

    first_text: str
    second_text: str
    first_spans: list[list[int]]
    second_spans: list[list[int]]
    first_found: bool
    second_found: bool


def _alignment(text_words: list[str], source_words: list[str]) -> dict[int, int]:
    """Which word of the source each word of the text is (for the words they share)."""
    if text_words == source_words:
        return {i: i for i in range(len(text_words))}
    if not text_words or not source_words or len(text_words) * len(source_words) > ALIGN_LIMIT:
        return {}
    matcher = SequenceMatcher(None, text_words, source_words, autojunk=False)
    mapping = {}
    for a, b, size in matcher.get_matching_blocks():
        for i in range(size):
            mapping[a + i] = b + i
    return mapping


def split_passage(document: str, text: str, spans: Sequence[Any] | None, point: int) -> SplitParts:
    """Cut a recommendation's text at ``point`` (an offset in ``text``) and each of its
    passages at the same words, so that each part keeps its own span.

    Each passage is matched word by word with the text (so Markdown marks, line breaks or a
    small edit do not stop it). A passage holding the point is cut there; one that matches
    only words before (or after) the point goes wholly to the first (or second) part; one that
    matches nothing stays with the first. A part whose text is not in its share of the
    passages (``traced``) is looked for in the document; failing that it keeps its share, or
    the whole original passage, as its source (``*_found`` False).
    """
    first_text, second_text = text[:point].strip(), text[point:].strip()
    text_words = words(text)
    k = next((i for i, (_, start, _) in enumerate(text_words) if start >= point), len(text_words))
    first: list[list[int]] = []
    second: list[list[int]] = []
    old = valid_spans(spans, len(document))
    for start, end in old:
        source = words(document, start, end)
        mapping = _alignment([w for w, _, _ in text_words], [w for w, _, _ in source])
        before = [i for i in mapping if i < k]
        after = sorted(i for i in mapping if i >= k)
        if not after:
            first.append([start, end])
            continue
        if not before:
            second.append([start, end])
            continue
        cut = source[mapping[after[0]]][1]
        head = _trim(document, start, cut)
        if head:
            first.append(list(head))
        second.append([cut, end])

    def settle(part_text: str, pieces: list[list[int]]) -> tuple[list[list[int]], bool]:
        if pieces and traced(document, part_text, pieces):
            return pieces, True
        found = locate(document, part_text, near=old[0][0] if old else None)
        if found:
            return [list(found)], True
        return (pieces or [list(span) for span in old]), False

    first_spans, first_found = settle(first_text, first)
    second_spans, second_found = settle(second_text, second)
    return SplitParts(first_text, second_text, first_spans, second_spans, first_found, second_found)


__all__ = [
    "Anchored",
    "AnchoringError",
    "Span",
    "SplitParts",
    "SplitPoint",
    "locate",
    "locate_within",
    "parse_selection",
    "primary_start",
    "reader_text",
    "reanchor",
    "same_words",
    "split_passage",
    "split_points",
    "traced",
    "valid_spans",
    "words",
]
