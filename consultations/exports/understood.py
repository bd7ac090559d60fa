"""A response as the Word document "What we understood you to recommend": each recommendation
staff recorded, with its key, its text, the respondent's own words it comes from (the passage
its spans point at, as the response page highlights it) and the paragraph around them, so the
respondent can check that nothing was misread, missed, split or joined wrongly.

``passage`` is a plain function on the response text, tested directly; ``understood_docx``
takes a response whose consultation, respondent and recommendations (with their questions)
are loaded, and returns the document's bytes.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from consultations.anchoring import merged_spans, reader_text, same_words
from consultations.models import Response

TITLE = "What we understood you to recommend"
CONTEXT_LIMIT = 300  # characters of context kept on each side of the quoted words
# A blank line, as the response page splits paragraphs, or a line starting a list item: the
# context of a point in a list is its item, not the whole list.
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=[ \t]*(?:[-•*–]|\d+[.)])\s)")


@dataclass(frozen=True)
class Passage:
    """The respondent's words for one recommendation: ``quote`` the words its spans cover
    (several passages joined by an ellipsis), ``context`` the paragraphs around them as
    ``(text, quoted)`` pieces, or empty when the context would only repeat the quote."""

    quote: str
    context: tuple[tuple[str, bool], ...]


def passage(text: str, spans: Iterable[Any] | None) -> Passage | None:
    """The quote and its context for these spans, or None when they point at nothing. A point
    made twice in the response (the same words at two places) is quoted once; passages far
    apart get a context each, separated by an ellipsis."""
    usable, seen = [], []
    for start, end in merged_spans(spans, len(text)):
        if not any(same_words(text[start:end], earlier) for earlier in seen):
            usable.append((start, end))
            seen.append(text[start:end])
    if not usable:
        return None
    quote = " … ".join(reader_text(text[start:end]) for start, end in usable)
    windows: list[list] = []  # [start, end, spans inside]
    for span_start, span_end in usable:
        start = max(_paragraph_start(text, span_start),
                    _word_boundary(text, span_start - CONTEXT_LIMIT, forwards=True))
        end = min(_paragraph_end(text, span_end), _word_boundary(text, span_end + CONTEXT_LIMIT, forwards=False))
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
            windows[-1][2].append((span_start, span_end))
        else:
            windows.append([start, end, [(span_start, span_end)]])
    pieces: list[tuple[str, bool]] = []
    for start, end, inside in windows:
        if pieces:
            pieces.append((" … ", False))
        elif not _at_paragraph_start(text, start):
            pieces.append(("… ", False))
        position = start
        for span_start, span_end in inside:
            if span_start > position:
                pieces.append((_spaced(text[position:span_start]), False))
            pieces.append((reader_text(text[span_start:span_end]), True))
            position = span_end
        if end > position:
            pieces.append((_spaced(text[position:end]), False))
        if end < _paragraph_end(text, end):
            pieces.append((" …", False))
    context = tuple(piece for piece in pieces if piece[0].strip())
    if all(quoted or not re.search(r"\w", piece) for piece, quoted in context):
        context = ()  # it would only repeat the quote (with a list marker or an ellipsis)
    return Passage(quote=quote, context=context)


def _spaced(piece: str) -> str:
    """Context text with whitespace folded, keeping one space where it met the quoted words."""
    return (" " if piece[:1].isspace() else "") + " ".join(piece.split()) + (" " if piece[-1:].isspace() else "")


def _at_paragraph_start(text: str, at: int) -> bool:
    return _paragraph_start(text, at) >= at or not text[_paragraph_start(text, at):at].strip()


def _paragraph_start(text: str, at: int) -> int:
    start = 0
    for found in _PARAGRAPH_BREAK.finditer(text):  # the whole text: a lookahead needs what follows
        if found.end() > at:
            break
        start = found.end()
    return start


def _paragraph_end(text: str, at: int) -> int:
    found = _PARAGRAPH_BREAK.search(text, at)
    return found.start() if found else len(text)


def _word_boundary(text: str, at: int, *, forwards: bool) -> int:
    """``at`` moved to the nearest space (forwards or backwards), so context never cuts a word."""
    at = min(max(at, 0), len(text))
    if at in (0, len(text)):
        return at
    step = 1 if forwards else -1
    while 0 < at < len(text) and not text[at].isspace():
        at += step
    return at


def understood_docx(response: Response) -> bytes:
    """The document for this response: its live recommendations in their order."""
    from docx import Document  # python-docx takes a tenth of a second to import: only this download needs it
    from docx.shared import Pt

    recommendations = sorted((r for r in response.recommendations if r.deleted_at is None),
                             key=lambda r: (r.sequence, r.id))
    text = response.text or ""
    document = Document()
    document.core_properties.title = f"{TITLE}: {response.respondent.name}"
    document.add_heading(TITLE, level=0)
    received = f", received {response.received_on.strftime('%-d %B %Y')}" if response.received_on else ""
    document.add_paragraph(f"Your response to {response.consultation.title} "
                           f"({response.consultation.body}){received}.")
    count = len(recommendations)
    document.add_paragraph(
        f"We read your response as making {count} {'recommendation' if count == 1 else 'recommendations'}. "
        "Each is listed below with the words from your response it comes from. Please tell us if we have "
        "misunderstood anything, missed a recommendation, or split or joined them in a way you did not mean."
        if count else "We have not recorded any recommendations from your response yet.")
    for rec in recommendations:
        document.add_heading(f"Recommendation {rec.key}", level=1)
        document.add_paragraph(rec.text)
        if rec.question is not None:
            question = document.add_paragraph()
            question.add_run("Answering question: ").bold = True
            question.add_run(f"{rec.question.number}. {rec.question.text}")
        found = passage(text, rec.spans)
        if found is None:
            document.add_paragraph(
                "We could not point to one passage of your response for this recommendation: "
                "it may draw on several parts of it, or have been recorded from a conversation or a form.")
            continue
        label = document.add_paragraph()
        label.add_run("Your words").bold = True
        document.add_paragraph(found.quote, style="Quote")
        if found.context:
            label = document.add_paragraph()
            label.add_run("In context").bold = True
            context = document.add_paragraph()
            for piece, quoted in found.context:
                run = context.add_run(piece)
                run.bold = quoted
                run.font.size = Pt(10)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
