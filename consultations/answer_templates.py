"""Answer templates: an outcome and a public rationale written once and reused to draft the
same decision on many recommendations at once (the bulk "draft decision" action).

A template is only a starting text: drafting copies its outcome and rationale into each
decision through ``consultations.decisions.save_decision``, so each decision is then edited,
approved and published on its own, and changing a template later changes no decision.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultations.models import Base, utcnow
from consultations.vocabulary import DECISION_OUTCOMES

MAX_NAME = 120


class AnswerTemplateError(ValueError):
    """A template cannot be saved; the message says why."""


class AnswerTemplate(Base):
    __tablename__ = "answer_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    outcome: Mapped[str] = mapped_column(String(40))
    public_rationale: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def all_templates(session: Session) -> list[AnswerTemplate]:
    return list(session.scalars(select(AnswerTemplate).order_by(AnswerTemplate.name, AnswerTemplate.id)))


def add_template(session: Session, name: str, outcome: str, public_rationale: str,
                 user_id: int | None) -> AnswerTemplate:
    """Save a new template; refuse an empty or taken name, an unknown outcome or no rationale
    (the rationale is what the public reads, and approving needs one)."""
    name = " ".join((name or "").split())
    public_rationale = (public_rationale or "").strip()
    if not name:
        raise AnswerTemplateError("Enter a name for the template")
    if len(name) > MAX_NAME:
        raise AnswerTemplateError(f"The template name must be {MAX_NAME} characters or fewer")
    if outcome not in DECISION_OUTCOMES:
        raise AnswerTemplateError(f"Choose an outcome: {', '.join(DECISION_OUTCOMES)}")
    if not public_rationale:
        raise AnswerTemplateError("Enter the public rationale: the published page explains the decision with it")
    if session.scalar(select(AnswerTemplate.id).where(AnswerTemplate.name == name)) is not None:
        raise AnswerTemplateError(f"A template called {name} already exists. Choose another name")
    template = AnswerTemplate(name=name, outcome=outcome, public_rationale=public_rationale, created_by_id=user_id)
    session.add(template)
    session.flush()
    return template
