"""A response's recommendations: keys, numbering in the order of the text, adding, editing,
moving, deleting and restoring (with their sub-points)."""
from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .. import anchoring
from ..soft_delete import WITH_DELETED
from ..models import (
    Question,
    Recommendation,
    Response,
    utcnow,
)
from .responses import TriageError, ensure_open


_TOP_KEY = re.compile(r"^R(\d+)")


def _all_recommendations(session: Session, response: Response) -> list[Recommendation]:
    """Every recommendation of the response, deleted ones included (keys stay taken)."""
    session.flush()
    return list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.response_id == response.id)
            .order_by(Recommendation.sequence, Recommendation.id),
            execution_options=WITH_DELETED,
        )
    )


def next_key(session: Session, response: Response, parent: Recommendation | None = None) -> str:
    """The next free key: ``R{n}`` at the top level, ``R{n}.{m}`` under the parent ``R{n}``.

    Deleted recommendations keep their keys, so a restored one never collides with a new one.
    """
    keys = {rec.key for rec in _all_recommendations(session, response)}
    if parent is None:
        numbers = [int(match.group(1)) for key in keys if (match := _TOP_KEY.match(key))]
        n = max(numbers, default=0) + 1
        while f"R{n}" in keys:
            n += 1
        return f"R{n}"
    child = re.compile(rf"^{re.escape(parent.key)}\.(\d+)$")
    numbers = [int(match.group(1)) for key in keys if (match := child.match(key))]
    m = max(numbers, default=0) + 1
    while f"{parent.key}.{m}" in keys:
        m += 1
    return f"{parent.key}.{m}"


def _clean_text(text: str | None, what: str = "the recommendation") -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise TriageError(f"Enter the text of {what}.")
    return cleaned


def _check_live(rec: Recommendation) -> None:
    """A correction is refused on a deleted recommendation and on one of a closed response."""
    ensure_open(rec.response)
    _check_not_deleted(rec)


def _check_not_deleted(rec: Recommendation) -> None:
    """Duplicate marks need only this: confirming a cluster groups recommendations across many
    responses, closed ones included, and changes none of their text or order."""
    if rec.deleted_at is not None:
        raise TriageError(f"Recommendation {rec.key} has been deleted. Restore it first.")


def _check_question(response: Response, question: Question | None) -> None:
    if question is not None and question.consultation_id != response.consultation_id:
        raise TriageError(
            f"Question {question.number} is not a question of this response's consultation. "
            "Choose one of its own questions."
        )


def _descendants(rec: Recommendation, everything: Iterable[Recommendation]) -> list[Recommendation]:
    """Sub-points of ``rec`` at any depth, from one list of the response's recommendations."""
    by_parent: dict[int, list[Recommendation]] = {}
    for other in everything:
        if other.parent_id is not None:
            by_parent.setdefault(other.parent_id, []).append(other)
    found, stack = [], [rec.id]
    while stack:
        for child in by_parent.get(stack.pop(), []):
            found.append(child)
            stack.append(child.id)
    return found


def _make_room_after(everything: Iterable[Recommendation], sequence: int) -> int:
    """Shift the recommendations after ``sequence`` down by one; return the freed sequence."""
    for other in everything:
        if other.sequence > sequence:
            other.sequence += 1
    return sequence + 1


def _anchor(rec: Recommendation) -> int | None:
    return anchoring.primary_start(rec.spans, len(rec.response.text or ""))


def _in_text_order(siblings: list[Recommendation]) -> list[Recommendation]:
    """Siblings in the order the response makes them: by where their passage starts. One
    without a passage keeps its place after the sibling it follows now (or first)."""
    leading: list[Recommendation] = []
    groups: list[tuple[int, list[Recommendation]]] = []
    for rec in siblings:
        start = _anchor(rec)
        if start is None:
            (groups[-1][1] if groups else leading).append(rec)
        else:
            groups.append((start, [rec]))
    groups.sort(key=lambda group: group[0])  # stable: equal starts keep their order
    return leading + [rec for _, group in groups for rec in group]


def order_by_text(session: Session, response: Response) -> None:
    """Number a response's recommendations (deleted ones too) in the order of the text.

    Sub-points follow their parent; siblings are ordered by ``_in_text_order``. Called after
    every correction, so the order shown never depends on when a recommendation was added.
    """
    everything = _all_recommendations(session, response)
    ids = {rec.id for rec in everything}
    children: dict[int | None, list[Recommendation]] = {}
    for rec in everything:
        children.setdefault(rec.parent_id if rec.parent_id in ids else None, []).append(rec)
    ordered: list[Recommendation] = []
    stack = list(reversed(_in_text_order(children.get(None, []))))
    while stack:
        rec = stack.pop()
        ordered.append(rec)
        stack.extend(reversed(_in_text_order(children.get(rec.id, []))))
    for sequence, rec in enumerate(ordered, start=1):
        if rec.sequence != sequence:
            rec.sequence = sequence
    session.flush()


def _anchored(response: Response, text: str, span: anchoring.Span | None) -> tuple[list[list[int]], bool]:
    """Spans for a new recommendation: the selected passage, else where its typed text is.

    Returns the spans and whether the text is in the response. Text that differs from the
    selected passage is looked for; if it is nowhere, the selection is kept as its source.
    """
    document = response.text or ""
    if span is None:
        found = anchoring.locate(document, text)
        return ([list(found)], True) if found else ([], False)
    if anchoring.same_words(text, document[span[0]:span[1]]):
        return [list(span)], True
    found = anchoring.locate(document, text, near=span[0])
    return ([list(found)], True) if found else ([list(span)], False)


def add_recommendation(
    session: Session,
    response: Response,
    text: str,
    parent: Recommendation | None = None,
    question: Question | None = None,
    span: anchoring.Span | None = None,
) -> Recommendation:
    """Add a recommendation staff found that extraction missed (``origin="manual"``).

    ``span`` is a passage selected in the response text (checked with
    ``anchoring.parse_selection``); the text may then be left empty and is taken from it.
    Without one, typed text is looked for in the response and anchored where it is; text that
    is nowhere in the response is added without a passage (``spans`` empty). The new one takes
    the next free key and its place in the order of the text.
    """
    document = response.text or ""
    if span is not None:
        if not (0 <= span[0] < span[1] <= len(document)):
            raise TriageError("The selected passage is not in the response text. Select the passage again.")
        if not (text or "").strip():
            text = anchoring.reader_text(document[span[0]:span[1]])
    text = _clean_text(text)
    if response.deleted_at is not None:
        raise TriageError("This response has been deleted. Restore it before adding recommendations.")
    ensure_open(response)
    if parent is not None:
        if parent.response_id != response.id:
            raise TriageError("A sub-point must belong to a recommendation of the same response.")
        if parent.parent_id is not None:
            raise TriageError(
                f"{parent.key} is itself a sub-point. Choose a top-level recommendation as the parent."
            )
        _check_live(parent)
    _check_question(response, question)
    spans, _ = _anchored(response, text, span)
    everything = _all_recommendations(session, response)
    key = next_key(session, response, parent)
    if parent is None:
        sequence = max((rec.sequence for rec in everything), default=0) + 1
    else:
        last = max(rec.sequence for rec in [parent, *_descendants(parent, everything)])
        sequence = _make_room_after(everything, last)
    rec = Recommendation(
        response=response,
        key=key,
        sequence=sequence,
        text=text,
        spans=spans,
        unresolved_references=[],
        parent=parent,
        question=question,
        origin="manual",
    )
    session.add(rec)
    session.flush()
    order_by_text(session, response)
    return rec


def edit_recommendation(rec: Recommendation, text: str, question: Question | None) -> bool:
    """Correct a recommendation's wording and the question it answers, keeping its anchor.

    Text still in the response is re-anchored to its passage; text that is not keeps the
    original passage as its source. Returns whether the new text is in the response.
    """
    _check_live(rec)
    text = _clean_text(text)
    _check_question(rec.response, question)
    anchored = anchoring.reanchor(rec.response.text or "", text, rec.spans)
    rec.text = text
    rec.question = question
    if anchored.spans != [list(span) for span in rec.spans or []]:
        rec.spans = anchored.spans
    session = object_session(rec)
    if session is not None:
        order_by_text(session, rec.response)
    return anchored.found


# Keys. A split part reads as its recommendation's key plus a letter: R3 splits into R3a and
# R3b, and R3a again into R3a, R3b and R3c (letters follow the text). Sub-points follow their
def move_recommendation(session: Session, rec: Recommendation, direction: str) -> Recommendation:
    """Swap places with the neighbouring sub-point or top-level recommendation.

    Recommendations are shown in the order of the text, so two that both have a passage in it
    cannot swap: only one without a passage (typed text found nowhere) moves past another.
    """
    if direction not in ("up", "down"):
        raise TriageError("Choose whether to move the recommendation up or down.")
    _check_live(rec)
    siblings = [
        other for other in _all_recommendations(session, rec.response)
        if other.parent_id == rec.parent_id and other.deleted_at is None
    ]
    index = next(i for i, other in enumerate(siblings) if other.id == rec.id)
    neighbour_index = index - 1 if direction == "up" else index + 1
    if not 0 <= neighbour_index < len(siblings):
        where = "first" if direction == "up" else "last"
        level = "sub-point" if rec.parent_id else "recommendation"
        raise TriageError(f"{rec.key} is already the {where} {level}, so it cannot move {direction}.")
    neighbour = siblings[neighbour_index]
    if _anchor(rec) is not None and _anchor(neighbour) is not None:
        raise TriageError(
            f"{rec.key} and {neighbour.key} are shown in the order the response makes them, so they cannot "
            "swap places. Only a recommendation without a passage in the response text can be moved."
        )
    rec.sequence, neighbour.sequence = neighbour.sequence, rec.sequence
    session.flush()
    order_by_text(session, rec.response)
    return neighbour


def delete_recommendation(session: Session, rec: Recommendation) -> list[Recommendation]:
    """Soft-delete a recommendation and its sub-points; return everything deleted."""
    ensure_open(rec.response)
    if rec.deleted_at is not None:
        raise TriageError(f"Recommendation {rec.key} has already been deleted.")
    now = utcnow()
    deleted = [rec, *(child for child in _descendants(rec, _all_recommendations(session, rec.response))
                      if child.deleted_at is None)]
    for item in deleted:
        item.deleted_at = now
    session.flush()
    return deleted


def restore_recommendation(session: Session, rec: Recommendation) -> list[Recommendation]:
    """Restore a recommendation and the sub-points deleted with it (not ones deleted before)."""
    ensure_open(rec.response)
    if rec.deleted_at is None:
        raise TriageError(f"Recommendation {rec.key} has not been deleted, so there is nothing to restore.")
    everything = _all_recommendations(session, rec.response)
    parent = next((other for other in everything if other.id == rec.parent_id), None)
    if parent is not None and parent.deleted_at is not None:
        raise TriageError(f"{rec.key} is a sub-point of {parent.key}, which is deleted. Restore {parent.key} first.")
    when = rec.deleted_at
    restored = [rec, *(child for child in _descendants(rec, everything) if child.deleted_at == when)]
    for item in restored:
        item.deleted_at = None
    session.flush()
    return restored
