"""Links between recommendations and framework items: confirm, reject, accept, add by code.

Services in the Indico style: they take the session, change objects, flush and return them;
the caller (a view or a command) commits, or rolls back on error. A recommendation has at
most one link per item (a unique constraint): a link is never added twice, and a rejected one
is kept, so the same suggestion is not offered again, and is confirmed again if someone adds
the item by hand. Who did what is in the audit log, written at flush.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import FrameworkItem, Link, Recommendation, utcnow
from .references import ReferenceResolver
from .suggest import Suggestion

CLOSE_CODES = 5
CLOSE_CUTOFF = 0.6  # difflib ratio: "4.1.9" and "4.2.3" are 0.6, "SO4" and "SO1" 0.67
CLOSE_SPREAD = 0.1


class LinkError(ValueError):
    """A link cannot be made; the message says why and what to do instead."""


class UnknownCode(LinkError):
    """No current framework item has the code typed; ``close`` lists codes that look like it."""

    def __init__(self, code: str, close: Sequence[str] = ()):
        self.code = code
        self.close = list(close)
        hint = f" Did you mean {_or_list(self.close)}?" if self.close else (
            " Check the code on the framework's page: codes look like 4.1.3 or SO2."
        )
        super().__init__(f"No standard or objective has the code '{code}'.{hint}")


class AmbiguousCode(LinkError):
    """The code exists in several frameworks and none was chosen."""

    def __init__(self, code: str, items: Sequence[FrameworkItem]):
        self.code = code
        self.items = list(items)
        names = _or_list([item.framework.label for item in self.items])
        super().__init__(f"The code '{code}' is used in more than one framework ({names}). Choose the framework.")


class AlreadyLinked(LinkError):
    """The recommendation already has a live (proposed or confirmed) link to the item."""

    def __init__(self, link: Link, recommendation: Recommendation, item: FrameworkItem):
        self.link = link
        state = {
            "confirmed": "confirmed",
            "proposed": "proposed: confirm it in the list of links",
            "rejected": "rejected: confirm it in the list of links if it is right after all",
        }.get(link.status, link.status)
        super().__init__(f"{recommendation.key} is already linked to {item.code} ({state}).")


def _or_list(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def normalise_code(code: str | None) -> str:
    """A typed code as items store it: trimmed, without a trailing full stop."""
    return " ".join((code or "").split()).rstrip(".").strip()


def find_items(items: Iterable[FrameworkItem], code: str, framework_id: int | None = None) -> list[FrameworkItem]:
    """Items with this code (any case), optionally in one framework.

    Failing a code, what the reference parser understands ("standard 4.1.3", "domain three",
    "strategic objective 2") is tried, when it names exactly one item.
    """
    wanted = normalise_code(code).casefold()
    candidates = [item for item in items if framework_id is None or item.framework_id == framework_id]
    found = [item for item in candidates if item.code.casefold() == wanted]
    if found or not wanted:
        return sorted(found, key=lambda item: (item.framework_id, item.id))
    resolved = ReferenceResolver(candidates).resolve(normalise_code(code)).items
    return list(resolved) if len(resolved) == 1 else []


def close_codes(items: Iterable[FrameworkItem], code: str, n: int = CLOSE_CODES) -> list[str]:
    """Codes that look like ``code``, the closest first: "4.1.9" -> 4.1.1, 4.1.2, 4.1.3, 4.1.

    Similarity is difflib's ratio; only codes nearly as close as the closest are offered, so
    a near miss is not drowned in far ones.
    """
    wanted = normalise_code(code).casefold()
    scored = {}
    for item in items:
        ratio = difflib.SequenceMatcher(None, wanted, item.code.casefold()).ratio()
        if ratio >= CLOSE_CUTOFF:
            scored[item.code] = max(ratio, scored.get(item.code, 0))
    if not scored:
        return []
    best = max(scored.values())
    close = [c for c, ratio in scored.items() if ratio >= best - CLOSE_SPREAD]
    return sorted(close, key=lambda c: (-round(scored[c], 6), _natural(c)))[:n]


def _natural(code: str) -> tuple:
    """Sort key reading the numbers in a code as numbers: 1.2 < 1.10, SO2 < SO10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                 for part in re.split(r"(\d+)", code) if part)


def existing_link(session: Session, recommendation: Recommendation, item: FrameworkItem) -> Link | None:
    return session.scalar(
        select(Link).where(Link.recommendation_id == recommendation.id, Link.item_id == item.id)
    )


def confirm(link: Link, user_id: int | None) -> bool:
    """Confirm a link; False if it already was (nothing changes, nothing is logged)."""
    if link.status == "confirmed":
        return False
    link.status = "confirmed"
    link.confirmed_by_id = user_id
    link.confirmed_at = utcnow()
    return True


def reject(link: Link) -> bool:
    """Reject a link, keeping the row so the item is not suggested again; False if it was."""
    if link.status == "rejected":
        return False
    link.status = "rejected"
    link.confirmed_by_id = None  # who rejected it, and when, is in the audit log
    link.confirmed_at = None
    return True


def link_item(
    session: Session,
    recommendation: Recommendation,
    item: FrameworkItem,
    *,
    origin: str,
    user_id: int | None,
    status: str = "confirmed",
    score: float | None = None,
    evidence: str | None = None,
) -> tuple[Link, bool]:
    """Link ``item`` (confirmed, by default), or confirm its rejected link again.

    Returns the link and whether it is new. Raises ``AlreadyLinked`` for a live link: the
    unique constraint allows one row per recommendation and item.
    """
    link = existing_link(session, recommendation, item)
    if link is not None:
        if link.status != "rejected" or status == "rejected":
            raise AlreadyLinked(link, recommendation, item)
        confirm(link, user_id)
        session.flush()
        return link, False
    link = Link(
        recommendation=recommendation,
        item=item,
        origin=origin,
        status=status,
        score=score,
        evidence=evidence,
    )
    if status == "confirmed":
        link.confirmed_by_id = user_id
        link.confirmed_at = utcnow()
    session.add(link)
    session.flush()
    return link, True


def add_by_code(
    session: Session,
    recommendation: Recommendation,
    code: str,
    items: Sequence[FrameworkItem],
    *,
    framework_id: int | None = None,
    user_id: int | None = None,
) -> tuple[Link, bool]:
    """Link the item with this code among ``items`` (the current framework items), by hand.

    Raises ``UnknownCode`` (with close codes), ``AmbiguousCode`` when the code is in several
    frameworks and none was chosen, or ``AlreadyLinked``. Nothing is written when it raises.
    """
    found = find_items(items, code, framework_id)
    if not found:
        scope = [item for item in items if framework_id is None or item.framework_id == framework_id]
        raise UnknownCode(normalise_code(code), close_codes(scope, code))
    if len(found) > 1:
        raise AmbiguousCode(normalise_code(code), found)
    return link_item(session, recommendation, found[0], origin="manual", user_id=user_id)


def accept_suggestion(
    session: Session, recommendation: Recommendation, suggestion: Suggestion, user_id: int | None
) -> tuple[Link, bool]:
    """Confirm a suggested item: the link keeps its score and the words that matched."""
    return link_item(
        session,
        recommendation,
        suggestion.item,
        origin="suggested",
        user_id=user_id,
        score=suggestion.score,
        evidence=suggestion.evidence or None,
    )


def dismiss_suggestion(
    session: Session, recommendation: Recommendation, suggestion: Suggestion
) -> Link:
    """Record a suggestion as rejected, so it is not offered again (it can be confirmed later)."""
    link, _ = link_item(
        session,
        recommendation,
        suggestion.item,
        origin="suggested",
        user_id=None,
        status="rejected",
        score=suggestion.score,
        evidence=suggestion.evidence or None,
    )
    return link


__all__ = [
    "AlreadyLinked",
    "AmbiguousCode",
    "LinkError",
    "UnknownCode",
    "accept_suggestion",
    "add_by_code",
    "close_codes",
    "confirm",
    "dismiss_suggestion",
    "existing_link",
    "find_items",
    "link_item",
    "reject",
]
