"""Placeholder answers ("See written response") pointed at the respondent's written response,
now or when it arrives later."""
from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Response, ResponseSection
from ..soft_delete import WITH_DELETED
from .mapping import WRITTEN_CHANNELS_EXCLUDED


def _placeholder_note(attachment: str | None) -> str:
    note = "Refers to a written response; none from this respondent is in the consultation yet"
    return note + (f" (uploaded file: {attachment})." if attachment else ".")


def written_response_of(session: Session, consultation_id: int, respondent_id: int) -> Response | None:
    return session.scalar(
        select(Response).where(
            Response.consultation_id == consultation_id, Response.respondent_id == respondent_id,
            Response.channel.not_in(WRITTEN_CHANNELS_EXCLUDED),
        ).order_by(Response.id).limit(1))


def link_placeholders(session: Session, consultation_id: int, respondent_id: int | None = None) -> int:
    """Point placeholder answers (of one respondent, or of all) at written responses that
    arrived after the survey was imported. Returns how many were linked. A fixed number of
    queries."""
    waiting = (
        select(ResponseSection, Response.respondent_id)
        .join(Response, ResponseSection.response_id == Response.id)
        .where(Response.consultation_id == consultation_id, ResponseSection.kind == "placeholder",
               ResponseSection.written_response_id.is_(None))
    )
    if respondent_id is not None:
        waiting = waiting.where(Response.respondent_id == respondent_id)
    rows = session.execute(waiting, execution_options=WITH_DELETED).all()  # deleted surveys' too
    if not rows:
        return 0
    written = {}
    for response in session.scalars(
        select(Response).where(
            Response.consultation_id == consultation_id,
            Response.respondent_id.in_({respondent_id for _, respondent_id in rows}),
            Response.channel.not_in(WRITTEN_CHANNELS_EXCLUDED),
        ).order_by(Response.id.desc())
    ):
        written[response.respondent_id] = response  # the earliest wins (ordered newest first)
    linked = 0
    for section, respondent_id in rows:
        if respondent_id in written:
            section.written_response = written[respondent_id]
            section.note = None
            linked += 1
    session.flush()
    return linked
