"""The actions that implement a decision, their dated updates, and the rules about them:
when an action is finished, and when it is overdue. Every page, feed, search document and
count asks these; nothing else spells them out.

Plain functions, usable from a script or a test without a web request: they take the
session (or the action) and the acting user's id, check everything, change objects and
flush, and never commit. Anything invalid raises ``ActionError`` with a message that says
what to correct, before anything is changed.

Whether an action is overdue is computed from its due date and status, never stored.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, object_session

from consultations.models import Recommendation, utcnow
from consultations.soft_delete import restore, soft_delete
from consultations.vocabulary import FINISHED_ACTION_STATUSES
from consultations.workflow import ACTION_STATUSES, Action, ActionUpdate, Decision

MAX_OWNER_LENGTH = 200
MAX_URL_LENGTH = 1000


class ActionError(ValueError):
    """An action or update is not valid; the message says what to correct."""


# ---------------------------------------------------------------------------
# Finished and overdue: the one definition of each
# ---------------------------------------------------------------------------


def is_finished(status: str) -> bool:
    """Implemented, superseded or withdrawn (``FINISHED_ACTION_STATUSES``): nothing more is expected."""
    return status in FINISHED_ACTION_STATUSES


def is_late(due_on: dt.date | None, status: str, today: dt.date) -> bool:
    """Due before today and not finished (for callers holding the two values, not the action)."""
    return due_on is not None and due_on < today and not is_finished(status)


def is_overdue(action: Action, today: dt.date) -> bool:
    """Due before today and still open (not implemented, superseded or withdrawn)."""
    return is_late(action.due_on, action.status, today)


def days_overdue(action: Action, today: dt.date) -> int:
    """How many days past its due date an open action is (0 when it is not overdue)."""
    return (today - action.due_on).days if is_overdue(action, today) else 0


def late_clause(due_on, status, today: dt.date):
    """``is_late`` as a SQL condition on any due date and status columns (a table's or a subquery's)."""
    return (due_on < today) & status.not_in(FINISHED_ACTION_STATUSES)


def overdue_clause(today: dt.date):
    """``is_overdue`` as a SQL condition on ``Action``, for filters and counts."""
    return late_clause(Action.due_on, Action.status, today)


# ---------------------------------------------------------------------------
# Actions and updates
# ---------------------------------------------------------------------------


def _clean_text(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionError(message)
    return value


def _check_action_fields(description, owner, due_on, status, progress) -> tuple[str, str]:
    description = _clean_text(description, "Describe the action.")
    owner = _clean_text(owner, "Enter who owns the action: a team or a person.")
    if len(owner) > MAX_OWNER_LENGTH:
        raise ActionError(f"The owner must be {MAX_OWNER_LENGTH} characters or fewer.")
    if not isinstance(due_on, dt.date) or isinstance(due_on, dt.datetime):
        raise ActionError("Enter the date the action is due.")
    if status not in ACTION_STATUSES:
        raise ActionError(f"Choose a status: {', '.join(ACTION_STATUSES)}.")
    _check_progress(progress)
    return description, owner


def _check_progress(progress) -> None:
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ActionError("Progress must be a whole number from 0 to 100.")


def add_action(
    session: Session,
    decision: Decision,
    description: str,
    owner: str,
    due_on: dt.date,
    status: str = "not started",
    progress: int = 0,
    today: dt.date | None = None,
) -> Action:
    """A new piece of implementation work under a live decision; due today or later."""
    if decision.deleted_at is not None:
        raise ActionError("This decision has been deleted. Restore it before adding actions.")
    description, owner = _check_action_fields(description, owner, due_on, status, progress)
    today = today or dt.date.today()
    if due_on < today:
        raise ActionError(f"The due date must be today or in the future (today is {_long_date(today)}).")
    action = Action(decision=decision, description=description, owner=owner, due_on=due_on,
                    status=status, progress=progress)
    session.add(action)
    session.flush()
    return action


def edit_action(
    action: Action,
    description: str,
    owner: str,
    due_on: dt.date,
    status: str,
    progress: int,
) -> Action:
    """Change an action. A new due date may not be before the day the action was created."""
    if action.deleted_at is not None:
        raise ActionError("This action has been deleted. Restore it before changing it.")
    description, owner = _check_action_fields(description, owner, due_on, status, progress)
    created_on = (action.created_at or utcnow()).date()
    if due_on != action.due_on and due_on < created_on:
        raise ActionError(
            f"The due date cannot be before the action was created ({_long_date(created_on)})."
        )
    action.description = description
    action.owner = owner
    action.due_on = due_on
    action.status = status
    action.progress = progress
    _flush(action)
    return action


def check_evidence_url(url: str | None) -> str | None:
    """An optional web address: empty means none, otherwise a full http(s) URL with a host."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ActionError(
            "The evidence link must be a web address starting with http:// or https://, "
            "for example https://www.gov.uk/report."
        )
    if len(url) > MAX_URL_LENGTH:
        raise ActionError(f"The evidence link must be {MAX_URL_LENGTH} characters or fewer.")
    return url


def add_update(
    session: Session,
    action: Action,
    on: dt.date,
    text: str,
    evidence_url: str | None,
    new_status: str | None,
    is_public: bool,
    user_id: int | None,
    today: dt.date | None = None,
    progress: int | None = None,
) -> ActionUpdate:
    """A dated progress note. A new status and a new progress (percent complete), if given, are
    applied to the action as well: the update is where staff report both."""
    if action.deleted_at is not None:
        raise ActionError("This action has been deleted. Restore it before adding updates.")
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise ActionError("Enter the date of the update.")
    today = today or dt.date.today()
    if on > today:
        raise ActionError("The date of the update must be today or in the past.")
    text = _clean_text(text, "Say what has happened.")
    evidence_url = check_evidence_url(evidence_url)
    new_status = new_status or None
    if new_status is not None and new_status not in ACTION_STATUSES:
        raise ActionError(f"Choose a status: {', '.join(ACTION_STATUSES)}, or leave it unchanged.")
    if progress is not None:
        _check_progress(progress)
    update = ActionUpdate(action=action, on=on, text=text, evidence_url=evidence_url,
                          new_status=new_status, is_public=bool(is_public), created_by_id=user_id)
    session.add(update)
    if new_status is not None:
        action.status = new_status
    if progress is not None and progress != action.progress:
        action.progress = progress
    session.flush()
    return update


def delete_action(action: Action) -> Action:
    if action.deleted_at is not None:
        raise ActionError("This action is already deleted.")
    soft_delete(action)
    _flush(action)
    return action


def restore_action(action: Action) -> Action:
    if action.deleted_at is None:
        raise ActionError("This action is not deleted.")
    restore(action)
    _flush(action)
    return action


# ---------------------------------------------------------------------------
# The implementation dashboard
# ---------------------------------------------------------------------------


def live_actions():
    """``select(Action)`` joined to its decision, recommendation and response, so callers can
    filter and sort on any of them; the joins also keep out actions under anything deleted
    (``soft_delete`` hides deleted rows from every join)."""
    return (
        select(Action)
        .join(Action.decision)
        .join(Decision.recommendation)
        .join(Recommendation.response)
    )


@dataclass
class DashboardCounts:
    by_status: dict[str, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def dashboard_counts(session: Session, today: dt.date) -> DashboardCounts:
    """Live actions per status (every status, zero included) and how many are overdue: one query."""
    base = live_actions().subquery()
    overdue = case((late_clause(base.c.due_on, base.c.status, today), 1), else_=0)
    rows = session.execute(
        select(base.c.status, func.count(), func.coalesce(func.sum(overdue), 0)).group_by(base.c.status)
    ).all()
    by_status = dict.fromkeys(ACTION_STATUSES, 0)
    total_overdue = 0
    for status, count, late in rows:
        by_status[status] = by_status.get(status, 0) + count
        total_overdue += int(late)
    return DashboardCounts(by_status=by_status, overdue=total_overdue)


def _flush(obj) -> None:
    session = object_session(obj)
    if session is not None:
        session.flush()


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
