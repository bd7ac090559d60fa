"""Response text as pages show it: paragraphs of flat segments, each highlighted by the
recommendations whose passages cover it. Plain functions, tested directly; browse's
response page and triage's add page both use them."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from consultations.anchoring import merged_spans

# A blank line (possibly holding spaces) separates paragraphs in cleaned response text.
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# The readers (Word, HTML, Markdown, email) mark a heading as a paragraph "## Title".
_HEADING_MARK = re.compile(r"(#{1,6}) +(?=\S)")


@dataclass(frozen=True)
class Segment:
    """A run of response text covered by the same set of recommendations.

    ``keys`` are the recommendations highlighting this run (empty for plain text);
    ``opens`` are keys whose highlight starts here, so the page shows their label;
    ``anchors`` are keys whose first highlight in the whole text starts here, so the
    page puts the ``text-<key>`` anchor that the recommendation list links back to.
    """

    text: str
    start: int
    end: int
    keys: tuple[str, ...] = ()
    opens: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()


def paragraph_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of the paragraphs of ``text``, without surrounding whitespace."""
    ranges = []
    pos = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[pos:end]
        start = pos + len(chunk) - len(chunk.lstrip())
        stop = pos + len(chunk.rstrip())
        if start < stop:
            ranges.append((start, stop))
        if match:
            pos = match.end()
    return ranges


def distinct_passages(text: str, spans: Iterable[Any] | None) -> list[str]:
    """The passages a recommendation was read from, each shown once: a point made twice in a
    response anchors to two identical passages (compared ignoring spacing), in the order met."""
    seen: set[str] = set()
    passages = []
    for start, end in merged_spans(spans, len(text)):
        passage = text[start:end]
        key = " ".join(passage.split())
        if key not in seen:
            seen.add(key)
            passages.append(passage)
    return passages


def highlight_paragraphs(
    text: str, spans_by_key: Mapping[str, Iterable[Any]]
) -> list[list[Segment]]:
    """Split ``text`` into paragraphs of flat segments, one per distinct set of covering keys.

    Segments never nest, so overlapping spans and spans that cross a paragraph break
    still render as well-formed HTML (one ``<mark>`` per segment). Keys keep the order
    of ``spans_by_key`` (the recommendation order).
    """
    order = {key: index for index, key in enumerate(spans_by_key)}
    spans = [
        (start, end, key)
        for key, key_spans in spans_by_key.items()
        for start, end in merged_spans(key_spans, len(text))
    ]
    anchored: set[str] = set()
    paragraphs = []
    for p_start, p_end in paragraph_ranges(text):
        local = [
            (max(start, p_start), min(end, p_end), key)
            for start, end, key in spans
            if start < p_end and end > p_start
        ]
        cuts = sorted({p_start, p_end, *(s for s, _, _ in local), *(e for _, e, _ in local)})
        segments = []
        for a, b in zip(cuts, cuts[1:]):
            keys = sorted({k for s, e, k in local if s <= a and b <= e}, key=order.__getitem__)
            opens = sorted({k for s, _, k in local if s == a}, key=order.__getitem__)
            anchors = tuple(k for k in opens if k not in anchored)
            anchored.update(anchors)
            segments.append(Segment(text[a:b], a, b, tuple(keys), tuple(opens), anchors))
        paragraphs.append(segments)
    return paragraphs


@dataclass(frozen=True)
class TextBlock:
    """A paragraph as the page shows it: ``heading_level`` 1 to 6 for a heading, else None."""

    segments: list[Segment]
    heading_level: int | None = None


def text_blocks(paragraphs: list[list[Segment]]) -> list[TextBlock]:
    """Paragraphs with headings recognised: a one-line paragraph "## Title" is a heading of
    level 2 whose marker is not shown. The stored text keeps the marker; the heading's first
    segment starts after it, so offsets counted from a block's start still match the text."""
    blocks = []
    for segments in paragraphs:
        text = "".join(s.text for s in segments)
        mark = _HEADING_MARK.match(text)
        if mark is None or "\n" in text:
            blocks.append(TextBlock(segments))
            continue
        blocks.append(TextBlock(_drop_prefix(segments, mark.end()), len(mark.group(1))))
    return blocks


def _drop_prefix(segments: list[Segment], length: int) -> list[Segment]:
    """``segments`` without their first ``length`` characters; a highlight label or anchor
    that opened inside them moves to the first character kept."""
    kept: list[Segment] = []
    opens: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()
    for segment in segments:
        cut = min(max(length - (segment.start - segments[0].start), 0), len(segment.text))
        if cut == len(segment.text):
            opens, anchors = opens + segment.opens, anchors + segment.anchors
            continue
        if cut or opens:
            segment = replace(segment, text=segment.text[cut:], start=segment.start + cut,
                              opens=opens + segment.opens, anchors=anchors + segment.anchors)
            opens, anchors = (), ()
        kept.append(segment)
    return kept
