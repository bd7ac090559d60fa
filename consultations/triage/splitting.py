"""Splitting one recommendation into parts and merging several into one, keeping keys seen in
public unchanged and every part anchored to its passage."""
from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import count

from sqlalchemy.orm import Session

from .. import anchoring
from ..models import (
    Recommendation,
    utcnow,
)
from .duplicate_marks import _duplicates_of, primary_of
from .recommendations import (
    _all_recommendations, _check_live, _descendants, _in_text_order, _make_room_after,
    order_by_text,
)
from .responses import TriageError


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
