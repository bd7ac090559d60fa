"""Triage: moving responses through review and putting their recommendations in order.

Plain functions on a SQLAlchemy session and model objects, usable from a script or a test
without Flask. Each one checks its input first and raises ``TriageError`` (a ``ValueError``
whose message says what was wrong and what to do) before changing anything; then it changes
the objects and flushes. None of them commits: the caller commits, or rolls back on error,
so a refused request leaves nothing half-saved. Nothing is ever hard-deleted: deleting sets
``deleted_at`` and restoring clears it. Users are referred to by id only, because this
package knows nothing of the web application's user model.

Corrections to recommendations (add, edit, split, merge) keep each one anchored to its
passage of the response text (``consultations.anchoring``), and every one of them leaves the
response's recommendations numbered in the order of the text (``order_by_text``).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from . import anchoring
from .soft_delete import WITH_DELETED
from .models import (
    CONSENT_LEVELS,
    RESPONSE_STATUSES,
    Question,
    Recommendation,
    Respondent,
    Response,
    utcnow,
)


class TriageError(ValueError):
    """A triage request that cannot be carried out; the message says why and what to do."""


# The order a response moves through. One step forward, or one step back to correct a mistake.
STATUS_FLOW: tuple[str, ...] = RESPONSE_STATUSES
ORGANISATION_TYPE_MAX = 100


def allowed_statuses(current: str) -> list[str]:
    """The statuses a response may move to from ``current``: the next step and the one before."""
    if current not in STATUS_FLOW:
        return [STATUS_FLOW[0]]  # an unknown (legacy) status can always go back to the start
    index = STATUS_FLOW.index(current)
    moves = []
    if index + 1 < len(STATUS_FLOW):
        moves.append(STATUS_FLOW[index + 1])
    if index > 0:
        moves.append(STATUS_FLOW[index - 1])
    return moves


def _quoted_list(values: Sequence[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def set_status(response: Response, status: str) -> Response:
    """Move a response one step along ``STATUS_FLOW`` (or one step back)."""
    allowed = allowed_statuses(response.status)
    if status not in STATUS_FLOW:
        raise TriageError(f"'{status}' is not a response status. It can move to {_quoted_list(allowed)}.")
    if status == response.status:
        raise TriageError(f"The response is already '{status}'. It can move to {_quoted_list(allowed)}.")
    if status not in allowed:
        raise TriageError(
            f"A response that is '{response.status}' cannot move straight to '{status}'. "
            f"It can move to {_quoted_list(allowed)}."
        )
    response.status = status
    return response


def assign(session: Session, responses: Sequence[Response], user_id: int | None) -> list[Response]:
    """Give responses to a member of staff (by user id), or to nobody with ``None``.

    The caller checks that the user exists and is active: users live in the web application.
    """
    if not responses:
        raise TriageError("Select at least one response to assign.")
    deleted = [response for response in responses if response.deleted_at is not None]
    if deleted:
        raise TriageError("Deleted responses cannot be assigned. Restore them first.")
    for response in responses:
        response.assignee_id = user_id
    session.flush()
    return list(responses)


def delete_response(session: Session, response: Response) -> Response:
    """Soft-delete a response: it leaves every list but stays restorable with all it holds."""
    if response.deleted_at is not None:
        raise TriageError("This response has already been deleted.")
    response.deleted_at = utcnow()
    session.flush()
    return response


def restore_response(session: Session, response: Response) -> Response:
    if response.deleted_at is None:
        raise TriageError("This response has not been deleted, so there is nothing to restore.")
    response.deleted_at = None
    session.flush()
    return response


def set_consent(respondent: Respondent, consent: str, organisation_type: str | None) -> Respondent:
    """Change what may be published about a respondent, and their organisation type."""
    if consent not in CONSENT_LEVELS:
        raise TriageError(f"Publication consent must be {_quoted_list(CONSENT_LEVELS)}, not '{consent}'.")
    organisation_type = (organisation_type or "").strip() or None
    if organisation_type and len(organisation_type) > ORGANISATION_TYPE_MAX:
        raise TriageError(f"The organisation type must be {ORGANISATION_TYPE_MAX} characters or fewer.")
    respondent.consent = consent
    respondent.organisation_type = organisation_type
    return respondent


# ---------------------------------------------------------------------------
# Recommendations
# ---------------------------------------------------------------------------

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
# parent's key (R3a.1). A key seen in public (its group's decision has been published) never
# changes: such an R3 keeps R3 and its second part is R3b.
_SPLIT_KEY = re.compile(r"^(?P<base>.*\d)(?P<letters>[a-z]*)$")


def _key_parts(key: str) -> tuple[str, str]:
    match = _SPLIT_KEY.match(key)
    return (match["base"], match["letters"]) if match else (key, "")


def _letters(index: int) -> str:
    """0 → a, 25 → z, 26 → aa: the letters of the ``index``-th part."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def plan_part_keys(members: Sequence[tuple[str, bool]], base: str) -> list[str]:
    """Keys for the parts of a split recommendation, in the order of the text.

    ``members`` are ``(key, fixed)`` for every part sharing ``base`` (``key`` is ignored for
    the new part); fixed ones (published, or deleted) keep their keys and letters, and a fixed
    bare base counts as the ``a``. The others get the free letters in order.

    >>> plan_part_keys([("R3", False), ("", False)], "R3")
    ['R3a', 'R3b']
    >>> plan_part_keys([("R3", True), ("", False)], "R3")
    ['R3', 'R3b']
    """
    reserved = {_key_parts(key)[1] for key, fixed in members if fixed}
    if "" in reserved:
        reserved.add("a")
    free = (letters for letters in map(_letters, count()) if letters not in reserved)
    return [key if fixed else base + next(free) for key, fixed in members]


def _rename(session: Session, everything: list[Recommendation], renames: dict[Recommendation, str]) -> None:
    """Give recommendations new keys without two ever holding the same key at a flush
    (keys are unique per response): each waits until its new key is free."""
    holders = {rec.key: rec for rec in everything}
    pending = {rec: key for rec, key in renames.items() if rec.key != key}
    while pending:
        ready = [rec for rec, key in pending.items() if holders.get(key, rec) is rec]
        if not ready:  # keys that swap round: park one on a key nothing else can have
            ready_rec = next(iter(pending))
            del holders[ready_rec.key]
            ready_rec.key = f"~{ready_rec.id}"
            holders[ready_rec.key] = ready_rec
            session.flush()
            continue
        for rec in ready:
            del holders[rec.key]
            rec.key = pending.pop(rec)
            holders[rec.key] = rec
        session.flush()


def _with_descendants(renames: dict[Recommendation, str], everything: list[Recommendation],
                      fixed: Collection[int]) -> dict[Recommendation, str]:
    """The renames plus every sub-point whose key starts with a renamed key (R3.1 → R3a.1)."""
    result = dict(renames)
    for rec, new in renames.items():
        old = rec.key
        if new == old:
            continue
        for child in _descendants(rec, everything):
            if child.id not in fixed and child.key.startswith(old + "."):
                result[child] = new + child.key[len(old):]
    return result


@dataclass(frozen=True)
class Split:
    """What a split made: both parts, and whether each part's text is in the response (when
    not, it keeps the original passage as its source)."""

    first: Recommendation
    second: Recommendation
    first_found: bool
    second_found: bool


def split_recommendation(
    session: Session, rec: Recommendation, point: int, published: Collection[int] = ()
) -> Split:
    """Split a recommendation that makes two points at ``point``, an offset in its text that
    starts a word (``anchoring.split_points``).

    The first part stays on ``rec`` with its links, sub-points and history; the second becomes
    a new recommendation with the same parent and question. Each keeps its own span: the
    original passages cut at the same words. Keys follow the scheme above; ``published`` are
    the ids of recommendations whose keys have been public and so never change. An empty part,
    or two parts with the same words, is refused.
    """
    _check_live(rec)
    text = rec.text or ""
    offsets = {p.offset for p in anchoring.split_points(text)}
    if point not in offsets:
        if point <= 0 or point >= len(text.rstrip()):
            raise TriageError(f"Choose a point inside {rec.key}'s text: splitting at its start or end "
                              "would leave one part empty.")
        raise TriageError(f"Choose a point between two words of {rec.key}'s text. "
                          "Reload the page if the text has changed.")
    document = rec.response.text or ""
    parts = anchoring.split_passage(document, text, rec.spans, point)
    if not anchoring.words(parts.first_text) or not anchoring.words(parts.second_text):
        raise TriageError("Each part must have words of its own: choose a point with words on both sides.")
    if anchoring.same_words(parts.first_text, parts.second_text):
        raise TriageError(f"Both parts would read “{parts.first_text}”. Choose a point that gives two "
                          "different recommendations, or delete one of the repeats instead.")

    response = rec.response
    everything = _all_recommendations(session, response)
    fixed = set(published) | {other.id for other in everything if other.deleted_at is not None}
    base, _ = _key_parts(rec.key)
    group = [other for other in everything
             if other.parent_id == rec.parent_id and _key_parts(other.key)[0] == base]
    live = _in_text_order([other for other in group if other.deleted_at is None])
    after = live.index(rec) + 1
    ordered = [*live[:after], None, *live[after:]]  # None: the new second part
    members = [("" if other is None else other.key, other is not None and other.id in fixed) for other in ordered]
    members += [(other.key, True) for other in group if other.deleted_at is not None]
    keys = plan_part_keys(members, base)
    renames = {other: key for other, key in zip(ordered, keys) if other is not None}
    second_key = keys[ordered.index(None)]
    _rename(session, everything, _with_descendants(renames, everything, published))

    rec.text = parts.first_text
    if parts.first_spans != [list(span) for span in rec.spans or []]:
        rec.spans = parts.first_spans
    parent = next((other for other in everything if other.id == rec.parent_id), None)
    last = max(other.sequence for other in [rec, *_descendants(rec, everything)])
    second = Recommendation(
        response=response,
        key=second_key,
        sequence=_make_room_after(everything, last),
        text=parts.second_text,
        spans=parts.second_spans,
        unresolved_references=[],
        parent=parent,
        question=rec.question,
        origin="manual",
    )
    session.add(second)
    session.flush()
    order_by_text(session, response)
    return Split(rec, second, parts.first_found, parts.second_found)


def merge_recommendations(
    session: Session, keep: Recommendation, others: Sequence[Recommendation]
) -> Recommendation:
    """Merge recommendations that make the same point into ``keep``, losing nothing.

    Texts are joined (``keep``'s first), spans united, framework links moved (one per item),
    sub-points re-parented and duplicates re-pointed to ``keep``. The others are soft-deleted
    with ``duplicate_of_id`` set to ``keep``, so each can be found and restored.
    """
    _check_live(keep)
    others = list({other.id: other for other in others}.values())
    if not others:
        raise TriageError(f"Choose at least one recommendation to merge into {keep.key}.")
    for other in others:
        if other.id == keep.id:
            raise TriageError(f"{keep.key} cannot be merged into itself.")
        if other.response_id != keep.response_id:
            raise TriageError(
                f"{other.key} belongs to another response. Only recommendations of the same "
                "response can be merged; mark it as a duplicate instead."
            )
        _check_live(other)
    other_ids = {other.id for other in others}
    everything = _all_recommendations(session, keep.response)
    by_id = {rec.id: rec for rec in everything}
    ancestor = by_id.get(keep.parent_id) if keep.parent_id else None
    while ancestor is not None:
        if ancestor.id in other_ids:
            raise TriageError(
                f"{keep.key} is a sub-point of {ancestor.key}. Merge {keep.key} into {ancestor.key} instead."
            )
        ancestor = by_id.get(ancestor.parent_id) if ancestor.parent_id else None

    keep.text = " ".join([keep.text.strip(), *(other.text.strip() for other in others)])
    spans = [list(span) for span in keep.spans or []]
    for other in others:
        for span in other.spans or []:
            if list(span) not in spans:
                spans.append(list(span))
    keep.spans = spans
    references = list(keep.unresolved_references or [])
    for other in others:
        references += [ref for ref in other.unresolved_references or [] if ref not in references]
    keep.unresolved_references = references
    if keep.question is None:
        keep.question = next((other.question for other in others if other.question is not None), None)

    linked_items = {link.item_id for link in keep.links}
    for other in others:
        for link in list(other.links):
            if link.item_id not in linked_items:  # the same item twice stays on the merged one
                link.recommendation = keep
                linked_items.add(link.item_id)

    for rec in everything:
        if rec.parent_id in other_ids and rec.id not in other_ids:
            rec.parent = keep

    if keep.duplicate_of_id in other_ids:
        keep.duplicate_of = None
    primary = primary_of(keep)
    for rec in _duplicates_of(session, other_ids):
        if rec.id not in other_ids and rec.id != keep.id:
            rec.duplicate_of = primary

    now = utcnow()
    for other in others:
        other.duplicate_of = keep
        other.deleted_at = now
    session.flush()
    order_by_text(session, keep.response)
    return keep


def _duplicates_of(session: Session, ids: Iterable[int]) -> list[Recommendation]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.scalars(select(Recommendation).where(Recommendation.duplicate_of_id.in_(ids)),
                                execution_options=WITH_DELETED))


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


def primary_of(rec: Recommendation) -> Recommendation:
    """The recommendation a group of duplicates is decided on."""
    return rec.duplicate_of or rec


def mark_duplicate(session: Session, rec: Recommendation, target: Recommendation) -> Recommendation:
    """Record that ``rec`` makes the same point as ``target`` (in any response of the consultation).

    Groups stay one level deep: if the target is itself a duplicate, ``rec`` points at its
    primary, and recommendations that were duplicates of ``rec`` move to that primary too.
    If the target was a duplicate of ``rec``, the target becomes the primary of the group.
    Returns the primary.
    """
    session.flush()  # so foreign keys agree with relationships changed but not yet flushed
    _check_live(rec)
    if target is None:
        raise TriageError("That recommendation does not exist. Check its number and try again.")
    if target.id == rec.id:
        raise TriageError(f"{rec.key} cannot be a duplicate of itself. Choose another recommendation.")
    if target.deleted_at is not None:
        raise TriageError(f"{target.key} has been deleted. Choose a recommendation that has not been deleted.")
    if target.response.deleted_at is not None:
        raise TriageError(f"{target.key} belongs to a deleted response. Choose another recommendation.")
    if target.response.consultation_id != rec.response.consultation_id:
        raise TriageError(
            f"{target.key} answers another consultation. Duplicates must come from the same consultation."
        )
    primary = target
    if target.duplicate_of_id is not None and target.duplicate_of_id != rec.id:
        primary = target.duplicate_of
        if primary.deleted_at is not None:
            raise TriageError(
                f"{target.key} is marked as a duplicate of {primary.key}, which has been deleted. "
                f"Clear {target.key}'s duplicate mark or restore {primary.key} first."
            )
    if rec.duplicate_of_id == primary.id:
        raise TriageError(f"{rec.key} is already marked as a duplicate of {primary.key}.")
    if primary.id == target.id and target.duplicate_of_id == rec.id:
        target.duplicate_of = None  # the target was in rec's group: it leads the group now
    for duplicate in _duplicates_of(session, [rec.id]):
        if duplicate.id != primary.id:
            duplicate.duplicate_of = primary
    rec.duplicate_of = primary
    session.flush()
    return primary


def clear_duplicate(rec: Recommendation) -> Recommendation:
    if rec.duplicate_of_id is None:
        raise TriageError(f"{rec.key} is not marked as a duplicate, so there is nothing to clear.")
    _check_live(rec)
    rec.duplicate_of = None
    return rec


def delete_recommendation(session: Session, rec: Recommendation) -> list[Recommendation]:
    """Soft-delete a recommendation and its sub-points; return everything deleted."""
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


__all__ = [
    "STATUS_FLOW",
    "TriageError",
    "add_recommendation",
    "allowed_statuses",
    "assign",
    "clear_duplicate",
    "delete_recommendation",
    "delete_response",
    "edit_recommendation",
    "mark_duplicate",
    "merge_recommendations",
    "move_recommendation",
    "next_key",
    "primary_of",
    "restore_recommendation",
    "restore_response",
    "set_consent",
    "set_status",
    "split_recommendation",
]
