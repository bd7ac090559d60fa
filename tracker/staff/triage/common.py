"""What several triage pages share: loading a response or recommendation that is still
live (or 404), and the wording of select options and messages."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from consultations.models import Recommendation, Response

from tracker.web.loaders import one_or_404


def live_recommendation(rec_id: int) -> Recommendation:
    """A recommendation (deleted or not) of a response that has not been deleted, or 404."""
    return one_or_404(
        select(Recommendation)
        .join(Recommendation.response)
        .where(Recommendation.id == rec_id, Response.deleted_at.is_(None))
        .options(
            contains_eager(Recommendation.response).selectinload(Response.respondent),
            contains_eager(Recommendation.response).selectinload(Response.consultation),
        ),
        include_deleted=True,
    )


def shorten(text: str, length: int) -> str:
    """Text cut to ``length`` characters at most, with an ellipsis if cut (for select options)."""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 3].rstrip() + "..."


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"

