"""What several triage pages share: loading a response or recommendation that is still
live (or 404), the wording of select options and messages, and the warning before a change
that makes public pages disappear."""
from __future__ import annotations

from flask import render_template, request, url_for
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


def confirm_public_removal(public_ids: list[int], *, what: str, action: str, fields: dict, cancel: str,
                           other_urls: list[str] = ()):
    """The confirmation step before a change that makes public pages disappear (the pages of
    ``public_ids``, and ``other_urls``): it lists their URLs and posts the same change again with
    ``confirmed=1``. None when nothing public goes, or the change was confirmed already (the
    caller then goes ahead)."""
    if not (public_ids or other_urls) or request.form.get("confirmed") == "1":
        return None
    urls = [*other_urls, *(url_for("public.recommendation", rec_id=rec_id, _external=True) for rec_id in public_ids)]
    return render_template("staff/triage/confirm_public_removal.html", what=what, urls=urls, action=action,
                           fields={**fields, "confirmed": "1"}, cancel=cancel)
