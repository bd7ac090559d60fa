"""What waits on a member of staff: the counts behind the "My work" page, in a fixed number of
queries (four, plus one for the actions listed), whatever the size of the consultation.

Each count is defined so that the list it links to shows exactly those items:

- responses to triage: live responses still "received" or "in review", assigned to the user
  or to nobody, per status (the triage queue filters by assignee and status);
- recommendations by link state and decision state: the recommendations list's own counts
  (``consultations.recommendation_list``), so "no decision" there is "no decision" here;
- actions: live, unfinished actions the user owns, due within ``DUE_SOON_DAYS`` or overdue.
  An action's owner is free text ("Policy team", "Sam Jones"), so an action is the user's when
  its owner is their name or email address, ignoring case and surrounding spaces.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from consultations.actions import live_actions, overdue_clause
from consultations.models import Recommendation, Response
from consultations.recommendation_list import RecommendationFilters, count_states
from consultations.vocabulary import FINISHED_ACTION_STATUSES
from consultations.workflow import Action, Decision, User

TRIAGE_STATUSES = ("received", "in review")  # a response still waiting for triage
DUE_SOON_DAYS = 14
ACTIONS_SHOWN = 10

# Which parts of the page each role works on; the others read every part.
ROLE_PARTS = {
    "policy": ("triage", "actions"),
    "methodology": ("links",),
    "approver": ("decisions", "actions"),
}
ALL_PARTS = ("triage", "links", "decisions", "actions")


@dataclass(frozen=True)
class MyWork:
    # {status: count} of responses waiting for triage
    assigned_to_me: dict[str, int]
    unassigned: dict[str, int]
    by_link_state: dict[str, int]  # recommendations: none / suggested / confirmed
    by_decision_state: dict[str, int]  # recommendations: none / draft / approved / published
    overdue: int  # my unfinished actions past their due date
    due_soon: int  # my unfinished actions due from today to today + DUE_SOON_DAYS
    actions: list[Action]  # the first of those, most urgent first, to open directly

    @property
    def without_confirmed_links(self) -> int:
        return self.by_link_state.get("none", 0) + self.by_link_state.get("suggested", 0)


def parts_for(role: str) -> tuple[str, ...]:
    return ROLE_PARTS.get(role, ALL_PARTS)


def owned_by(user: User):
    """SQL: the action's owner is this user (by name or email, ignoring case and spaces)."""
    owner = func.lower(func.trim(Action.owner))
    names = {name.strip().lower() for name in (user.name, user.email) if name and name.strip()}
    return owner.in_(sorted(names))


def my_work(session: Session, user: User, today: dt.date) -> MyWork:
    assigned_to_me = dict.fromkeys(TRIAGE_STATUSES, 0)
    unassigned = dict.fromkeys(TRIAGE_STATUSES, 0)
    mine = Response.assignee_id == user.id
    for assignee_id, status, n in session.execute(
        select(Response.assignee_id, Response.status, func.count())
        .where(Response.status.in_(TRIAGE_STATUSES),
               or_(mine, Response.assignee_id.is_(None)))
        .group_by(Response.assignee_id, Response.status)
    ).all():
        (unassigned if assignee_id is None else assigned_to_me)[status] = n

    counts = count_states(session, RecommendationFilters())

    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    unfinished = Action.status.not_in(FINISHED_ACTION_STATUSES)
    overdue = overdue_clause(today)
    due_soon = and_(unfinished, Action.due_on >= today, Action.due_on <= soon)
    my_actions = live_actions().where(owned_by(user))
    late, coming = _action_counts(session, my_actions, overdue, due_soon)
    actions = list(session.scalars(
        my_actions.where(or_(overdue, due_soon))
        .options(contains_eager(Action.decision).contains_eager(Decision.recommendation)
                 .contains_eager(Recommendation.response))
        .order_by(Action.due_on, Action.id).limit(ACTIONS_SHOWN)))
    return MyWork(assigned_to_me=assigned_to_me, unassigned=unassigned, by_link_state=counts.by_link_state,
                  by_decision_state=counts.by_decision_state, overdue=late, due_soon=coming, actions=actions)


def _action_counts(session: Session, my_actions, overdue, due_soon) -> tuple[int, int]:
    """How many of ``my_actions`` are overdue and how many due soon: one query."""
    row = session.execute(
        my_actions.with_only_columns(func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
                                     func.coalesce(func.sum(case((due_soon, 1), else_=0)), 0))
    ).one()
    return int(row[0]), int(row[1])
