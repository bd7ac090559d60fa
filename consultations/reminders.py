"""Emails to the owners of implementation actions, enqueued by ``flask --app tracker notify reminders``
(run it daily; see "Email" in the README).

An action's owner is free text; it is a staff member's when it is their name or email address
(``consultations.my_work.owned_by``: ignoring case and surrounding spaces). For each such open
action (not implemented, superseded or withdrawn) with a due date:

* a reminder ``REMIND_DAYS_BEFORE`` days or fewer before it is due (once per action and due date);
* a reminder when it becomes overdue (once per action and due date).

Every owner of at least one open action also gets a weekly digest of what they own: on the first
run of each ISO week (Monday, when the job runs daily). Each message carries a dedupe key
(action, kind, due date, person; or person and week), so running the job twice in a day, or
every hour, sends nothing twice; changing an action's due date makes it due for a new reminder.
Each person chooses on their Your emails page whether they get reminders and the digest.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from consultations import outbox
from consultations.actions import is_finished, live_actions
from consultations.models import Recommendation, Response
from consultations.notifications import wants
from consultations.vocabulary import FINISHED_ACTION_STATUSES
from consultations.workflow import Action, Decision, User

REMIND_DAYS_BEFORE = 7


@dataclass
class ReminderReport:
    due_soon: int = 0
    overdue: int = 0
    digests: int = 0


def _owners(session: Session) -> dict[str, list[User]]:
    """Active staff by lower-cased name and email (a name two people share reaches both)."""
    found: dict[str, list[User]] = defaultdict(list)
    for user in session.scalars(select(User).where(User.active.is_(True))):
        for name in {(user.name or "").strip().lower(), (user.email or "").strip().lower()} - {""}:
            found[name].append(user)
    return found


def _item(action: Action, today: dt.date) -> dict:
    rec = action.decision.recommendation
    description = " ".join(action.description.split())
    return {"action_id": action.id, "description": description if len(description) <= 200
            else description[:197].rstrip() + "...",
            "due_on": action.due_on.isoformat() if action.due_on else None,
            "due": f"{action.due_on.day} {action.due_on:%B %Y}" if action.due_on else None,
            "days": (action.due_on - today).days if action.due_on else None,
            "status": action.status, "key": rec.key, "consultation": rec.response.consultation.title}


def enqueue_reminders(session: Session, today: dt.date, *, days_before: int = REMIND_DAYS_BEFORE) -> ReminderReport:
    """Enqueue every reminder and digest due ``today`` that has not been enqueued before (flushes,
    never commits)."""
    owners = _owners(session)
    actions = session.scalars(
        live_actions().where(Action.status.not_in(FINISHED_ACTION_STATUSES),
                             func.lower(func.trim(Action.owner)).in_(sorted(owners)))
        .options(contains_eager(Action.decision).contains_eager(Decision.recommendation)
                 .contains_eager(Recommendation.response).joinedload(Response.consultation))
        .order_by(Action.due_on, Action.id)).unique().all()
    mine: dict[int, list[Action]] = defaultdict(list)
    people: dict[int, User] = {}
    for action in actions:
        for user in owners[action.owner.strip().lower()]:
            mine[user.id].append(action)
            people[user.id] = user
    reminded = wants(session, mine, "action_reminders")
    digested = wants(session, mine, "action_digest")
    report = ReminderReport()
    year, week, _ = today.isocalendar()
    for user_id, owned in mine.items():
        user = people[user_id]
        for action in owned:
            if user_id not in reminded or action.due_on is None or is_finished(action.status):
                continue
            days = (action.due_on - today).days
            kind = "overdue" if days < 0 else "due_soon" if days <= days_before else None
            if kind is None:
                continue
            made = outbox.enqueue(
                session, recipient=user.email, template=f"action_{kind}",
                context={"name": user.name, "action": _item(action, today), "_unsubscribe": {"kind": "staff"}},
                dedupe_key=f"action-{kind}:{action.id}:{action.due_on.isoformat()}:{user_id}")
            if made is not None:
                setattr(report, kind, getattr(report, kind) + 1)
        if user_id in digested:
            items = [_item(action, today) for action in owned]
            made = outbox.enqueue(
                session, recipient=user.email, template="action_digest",
                context={"name": user.name, "week": f"{today - dt.timedelta(days=today.weekday()):%-d %B %Y}",
                         "overdue": [i for i in items if i["days"] is not None and i["days"] < 0],
                         "due_soon": [i for i in items if i["days"] is not None and 0 <= i["days"] <= 28],
                         "later": [i for i in items if i["days"] is None or i["days"] > 28],
                         "_unsubscribe": {"kind": "staff"}},
                dedupe_key=f"action-digest:{user_id}:{year}-W{week:02d}")
            if made is not None:
                report.digests += 1
    return report
