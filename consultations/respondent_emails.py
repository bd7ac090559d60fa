"""Telling respondents what happened to what they said: one digest when decisions on their
recommendations are published ("You said ... We decided ... What we are doing ...").

Who is emailed (``may_email``): a respondent whose contact details include an email address
(the first one found), who has not opted out (``Respondent.outcome_emails`` "no", set by the
link at the foot of every such email or by staff), and who is not confidential, unless they
asked for these emails (``outcome_emails`` "yes"): a confidential respondent is never contacted
on the strength of a default.

``decisions.publish`` notes each respondent in the decision's group of duplicates; when the
transaction commits (the hook in ``consultations.notifications``), each noted respondent gets
one message per consultation per day, sent ``DIGEST_DELAY`` later, so decisions published
one after another that day arrive in one email. What it lists is read when it is sent
(``outcome_digest``): every decision on their recommendations published since that day.

Later, when the actions answering their recommendations move (a public update), they hear of it
at most weekly (``enqueue_action_news``, from ``notify reminders``).
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from consultations import outbox
from consultations.models import Consultation, Recommendation, Respondent, Response, utcnow
from consultations.published import shown_outcome, shown_rationale
from consultations.vocabulary import PUBLIC_DECISION_OUTCOMES
from consultations.workflow import Action, Decision

OUTCOME_EMAIL_CHOICES = ("default", "yes", "no")
DIGEST_DELAY = dt.timedelta(minutes=30)
PENDING = "pending_respondent_outcomes"
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def contact_email(respondent: Respondent) -> str | None:
    """The first email address in the respondent's contact details, if any."""
    found = _EMAIL.search(respondent.contact_details or "")
    return found.group(0) if found else None


def may_email(respondent: Respondent) -> bool:
    choice = respondent.outcome_emails or "default"
    if choice == "no" or contact_email(respondent) is None:
        return False
    return respondent.consent != "confidential" or choice == "yes"


def set_outcome_emails(respondent: Respondent, choice: str) -> Respondent:
    """Record whether a respondent wants outcome emails: "default", "yes" (asked) or "no" (opted out)."""
    if choice not in OUTCOME_EMAIL_CHOICES:
        raise ValueError(f"Outcome emails must be one of {', '.join(OUTCOME_EMAIL_CHOICES)}, not '{choice}'.")
    respondent.outcome_emails = choice
    return respondent


def note_published(session: Session, decision: Decision) -> None:
    """Remember the respondents whose recommendations this published decision answers."""
    primary_id = decision.recommendation_id
    rows = session.execute(
        select(Response.respondent_id, Response.consultation_id)
        .join(Recommendation, Recommendation.response_id == Response.id)
        .where((Recommendation.id == primary_id) | (Recommendation.duplicate_of_id == primary_id))).all()
    pending = session.info.setdefault(PENDING, set())
    pending.update((respondent_id, consultation_id) for respondent_id, consultation_id in rows)


def send_noted(session: Session, now: dt.datetime | None = None) -> list[outbox.OutboxMessage]:
    """Enqueue the digest of each respondent noted in this transaction who may be emailed."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return []
    now = now or utcnow()
    respondents = {r.id: r for r in session.scalars(
        select(Respondent).where(Respondent.id.in_({rid for rid, _ in pending})))}
    messages = []
    for respondent_id, consultation_id in sorted(pending):
        respondent = respondents.get(respondent_id)
        if respondent is None or not may_email(respondent):
            continue
        day = now.date().isoformat()
        message = outbox.enqueue(
            session, recipient=contact_email(respondent), template="respondent_outcome",
            context={"respondent_id": respondent_id, "consultation_id": consultation_id, "since": day,
                     "_unsubscribe": {"kind": "respondent", "id": respondent_id, "one_click": True}},
            dedupe_key=f"respondent-outcome:{respondent_id}:{consultation_id}:{day}",
            send_after=now + DIGEST_DELAY)
        if message is not None:
            messages.append(message)
    return messages


def outcome_digest(session: Session, respondent_id: int, consultation_id: int, since: str) -> dict:
    """What the digest says, read when it is sent: each of the respondent's recommendations in the
    consultation whose group's decision was published on or after ``since``, with what they
    said, what was decided (the published outcome and rationale) and the actions under it."""
    respondent = session.get(Respondent, respondent_id)
    consultation = session.get(Consultation, consultation_id)
    since_at = dt.datetime.combine(dt.date.fromisoformat(since), dt.time())
    recs = session.scalars(
        select(Recommendation).join(Response, Recommendation.response_id == Response.id)
        .where(Response.respondent_id == respondent_id, Response.consultation_id == consultation_id)
        .order_by(Response.id, Recommendation.sequence, Recommendation.id)).all()
    primaries = {rec.duplicate_of_id or rec.id for rec in recs}
    decisions = {d.recommendation_id: d for d in session.scalars(
        select(Decision).where(Decision.recommendation_id.in_(primaries), Decision.published_at.is_not(None))
        .options(selectinload(Decision.actions).selectinload(Action.updates)))}
    items, waiting = [], 0
    for rec in recs:
        decision = decisions.get(rec.duplicate_of_id or rec.id)
        if decision is None:
            waiting += 1
            continue
        if decision.published_at < since_at and (decision.withdrawn_at is None or decision.withdrawn_at < since_at):
            continue
        outcome = shown_outcome(decision)
        items.append({
            "key": rec.key, "you_said": rec.text,
            "outcome": PUBLIC_DECISION_OUTCOMES.label(outcome),
            "rationale": shown_rationale(decision),
            "actions": [{"description": a.description, "status": a.status,
                         "due": f"{a.due_on.day} {a.due_on:%B %Y}" if a.due_on else None}
                        for a in decision.actions if a.deleted_at is None],
        })
    return {"name": respondent.name if respondent else "", "consultation": consultation.title if consultation else "",
            "consultation_slug": consultation.slug if consultation else "", "items": items, "waiting": waiting}



def enqueue_action_news(session: Session, today: dt.date) -> int:
    """Weekly: each respondent who may be emailed hears of the public updates made in the last 7
    days on the actions answering their recommendations (at most one email a week: the first run
    of each ISO week sends it, ``notify reminders`` run daily). How many were enqueued."""
    from consultations.workflow import ActionUpdate

    since = dt.datetime.combine(today - dt.timedelta(days=7), dt.time())
    primary = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
    rows = session.execute(
        select(Response.respondent_id, Recommendation.key, Consultation.title, Consultation.slug,
               Action.description, Action.status, ActionUpdate.on, ActionUpdate.text)
        .select_from(ActionUpdate)
        .join(Action, ActionUpdate.action_id == Action.id)
        .join(Decision, Action.decision_id == Decision.id)
        .join(Recommendation, primary == Decision.recommendation_id)
        .join(Response, Recommendation.response_id == Response.id)
        .join(Consultation, Response.consultation_id == Consultation.id)
        .where(ActionUpdate.is_public.is_(True), ActionUpdate.created_at >= since,
               Decision.published_at.is_not(None), Decision.withdrawn_at.is_(None))
        .order_by(Response.respondent_id, ActionUpdate.on, ActionUpdate.id)).all()
    if not rows:
        return 0
    respondents = {r.id: r for r in session.scalars(select(Respondent).where(
        Respondent.id.in_({row.respondent_id for row in rows})))}
    news: dict[int, list[dict]] = {}
    for row in rows:
        item = {"key": row.key, "consultation": row.title, "consultation_slug": row.slug, "action": row.description,
                "status": row.status, "on": f"{row.on.day} {row.on:%B %Y}", "news": row.text}
        if item not in news.setdefault(row.respondent_id, []):
            news[row.respondent_id].append(item)
    year, week, _ = today.isocalendar()
    count = 0
    for respondent_id, items in news.items():
        respondent = respondents[respondent_id]
        if not may_email(respondent):
            continue
        made = outbox.enqueue(
            session, recipient=contact_email(respondent), template="respondent_action_news",
            context={"name": respondent.name, "items": items,
                     "_unsubscribe": {"kind": "respondent", "id": respondent_id, "one_click": True}},
            dedupe_key=f"respondent-actions:{respondent_id}:{year}-W{week:02d}")
        count += made is not None
    return count
