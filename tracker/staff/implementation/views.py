"""Implementation: the actions that carry out a decision, their dated updates, and a
dashboard of what is late. Policy staff and approvers change them; every role reads.

Overdue is never stored: it is worked out from the due date and status each time
(``action_rules.is_overdue`` in Python, ``action_rules.overdue_clause`` in SQL).
"""
from __future__ import annotations

from functools import partial

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from consultations.models import Recommendation, Response

from consultations import actions as action_rules
from tracker.web.roles import login_required, role_required
from tracker.db import db
from tracker.web.loaders import one_or_404
from tracker.web.paging import paginate
from tracker.web.editing import apply_edit, apply_state_change
from tracker.staff.implementation.forms import (
    DashboardFilter,
    EditActionForm,
    NewActionForm,
    UpdateForm,
    status_choices,
    today,
)
from tracker.web.forms import EditForm, options
from consultations.workflow import ACTION_STATUSES, Action, ActionUpdate, Decision, User

bp = Blueprint("implementation", __name__)

IMPLEMENTERS = ("policy", "approver")
PAGE_SIZE = 25
OVERDUE_SHOWN = 20


# ---------------------------------------------------------------------------
# Loading and rendering
# ---------------------------------------------------------------------------


def _action_or_404(action_id: int) -> Action:
    """The action, deleted or not (its page offers the restore)."""
    return one_or_404(
        select(Action)
        .where(Action.id == action_id)
        .options(
            selectinload(Action.decision)
            .selectinload(Decision.recommendation)
            .selectinload(Recommendation.response)
            .selectinload(Response.respondent),
            selectinload(Action.decision)
            .selectinload(Decision.recommendation)
            .selectinload(Recommendation.response)
            .selectinload(Response.consultation),
        ),
        include_deleted=True,
    )


def render_action_page(action: Action, *, conflict=None, problem=None, status=200):
    """An action with its updates, newest first, and who wrote each."""
    updates = db.session.scalars(
        select(ActionUpdate)
        .where(ActionUpdate.action_id == action.id)
        .order_by(ActionUpdate.on.desc(), ActionUpdate.id.desc())
    ).all()
    ids = {u.created_by_id for u in updates} - {None}
    people = {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    now = today()
    return (
        render_template(
            "staff/implementation/action.html",
            action=action,
            decision=action.decision,
            rec=action.decision.recommendation,
            updates=updates,
            people=people,
            overdue_days=action_rules.days_overdue(action, now) if action_rules.is_overdue(action, now) else None,
            state_form=EditForm(formdata=None, version=action.version_id),
            conflict=conflict,
            problem=problem,
        ),
        status,
    )


def _render_action_form(action: Action | None, decision: Decision, form, *, conflict=None, problem=None,
                        status=200):
    return (
        render_template(
            "staff/implementation/action_form.html",
            action=action,
            decision=decision,
            rec=decision.recommendation,
            form=form,
            conflict=conflict,
            problem=problem,
        ),
        status,
    )


# ---------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------


@bp.route("/decisions/<id:decision_id>/actions/new", methods=["GET", "POST"])
@role_required(*IMPLEMENTERS)
def new_action(decision_id: int):
    decision = one_or_404(  # a deleted decision too: the rules refuse it with a reason, not a 404
        select(Decision)
        .where(Decision.id == decision_id)
        .options(selectinload(Decision.recommendation).selectinload(Recommendation.response)
                 .selectinload(Response.respondent)),
        include_deleted=True,
    )
    form = NewActionForm(data=None if request.method == "POST" else {"status": "not started", "progress": 0})
    if request.method == "GET":
        return _render_action_form(None, decision, form)
    outcome = apply_edit(
        form,
        lambda: action_rules.add_action(db.session, decision, form.description.data, form.owner.data,
                                        form.due_on.data, form.status.data, form.progress.data, today()),
        lambda code, conflict, error=None: _render_action_form(None, decision, form, problem=error, status=code),
    )
    if outcome.refused:
        return outcome.page
    action = outcome.result
    flash("Action added.")
    return redirect(url_for(".action", action_id=action.id))


@bp.route("/actions/<id:action_id>")
@login_required
def action(action_id: int):
    return render_action_page(_action_or_404(action_id))


@bp.route("/actions/<id:action_id>/edit", methods=["GET", "POST"])
@role_required(*IMPLEMENTERS)
def edit_action(action_id: int):
    item = _action_or_404(action_id)
    if request.method == "GET":
        form = EditActionForm(formdata=None, obj=item, version=item.version_id, saved=item)
        return _render_action_form(item, item.decision, form)
    form = EditActionForm(saved=item)
    outcome = apply_edit(
        form,
        lambda: action_rules.edit_action(item, form.description.data, form.owner.data, form.due_on.data,
                                         form.status.data, form.progress.data),
        lambda code, conflict, error=None: _render_action_form(item, item.decision, form, conflict=conflict,
                                                               problem=error, status=code),
        current=item,
    )
    if outcome.refused:
        return outcome.page
    flash("Action saved.")
    return redirect(url_for(".action", action_id=item.id))


def _render_update_form(item: Action, form: UpdateForm, *, conflict=None, problem=None, status=200):
    form.new_status.choices = options([("", f"Leave the status unchanged ({item.status})")]) + status_choices()
    return (
        render_template("staff/implementation/update_form.html", action=item, form=form,
                        conflict=conflict, problem=problem),
        status,
    )


@bp.route("/actions/<id:action_id>/updates", methods=["GET", "POST"])
@role_required(*IMPLEMENTERS)
def add_update(action_id: int):
    """A dated progress update; a new status chosen here is applied to the action."""
    item = _action_or_404(action_id)
    if request.method == "GET":
        return _render_update_form(item, UpdateForm(formdata=None, version=item.version_id, on=today(),
                                                             progress=item.progress))
    form = UpdateForm()
    progress_before = item.progress
    changes_action = bool(form.new_status.data) or form.progress.data not in (None, progress_before)
    outcome = apply_edit(
        form,
        lambda: action_rules.add_update(db.session, item, form.on.data, form.text.data, form.evidence_url.data,
                                        form.new_status.data or None, form.is_public.data, g.user.id, today(),
                                        progress=form.progress.data),
        lambda code, conflict, error=None: _render_update_form(item, form, conflict=conflict, problem=error,
                                                               status=code),
        current=item if changes_action else None,  # a plain note is always added
    )
    if outcome.refused:
        return outcome.page
    flash("Update added." + (f" The action is now {item.status}." if form.new_status.data else "")
          + (f" It is {item.progress}% complete." if item.progress != progress_before else ""))
    return redirect(url_for(".action", action_id=item.id))


def _change_action(action_id: int, change, done: str):
    """Delete and restore: the one state-change flow, back to the action's page."""
    item = _action_or_404(action_id)
    return apply_state_change(item, lambda: change(item), partial(render_action_page, item),
                              done=done, then=url_for(".action", action_id=item.id))


@bp.route("/actions/<id:action_id>/delete", methods=["POST"])
@role_required(*IMPLEMENTERS)
def delete_action(action_id: int):
    return _change_action(action_id, action_rules.delete_action,
                          "Action deleted. It no longer counts anywhere; you can restore it from this page.")


@bp.route("/actions/<id:action_id>/restore", methods=["POST"])
@role_required(*IMPLEMENTERS)
def restore_action(action_id: int):
    return _change_action(action_id, action_rules.restore_action, "Action restored.")


# ---------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------


def _with_context(query):
    """Load each action's decision, recommendation, response and respondent in the same query."""
    return query.join(Response.respondent).options(
        contains_eager(Action.decision)
        .contains_eager(Decision.recommendation)
        .contains_eager(Recommendation.response)
        .contains_eager(Response.respondent)
    )


@bp.route("/implementation")
@login_required
def dashboard():
    """Counts by status, what is overdue, and every live action: five queries whatever the numbers."""
    now = today()
    filters = DashboardFilter(formdata=request.args)
    status = filters.status.data if filters.status.data in ACTION_STATUSES else ""
    overdue_only = bool(filters.overdue.data)
    counts = action_rules.dashboard_counts(db.session, now)

    overdue = db.session.scalars(
        _with_context(action_rules.live_actions().where(action_rules.overdue_clause(now)))
        .order_by(Action.due_on, Action.id)
        .limit(OVERDUE_SHOWN)
    ).all()

    listed = action_rules.live_actions()
    if status:
        listed = listed.where(Action.status == status)
    if overdue_only:
        listed = listed.where(action_rules.overdue_clause(now))
    total = db.session.scalar(select(func.count()).select_from(listed.subquery()))
    shown = paginate(_with_context(listed).order_by(Action.due_on.is_(None), Action.due_on, Action.id),
                     PAGE_SIZE, total=total)
    rows, page = shown.items, shown.page

    def page_url(number: int) -> str:
        return url_for(".dashboard", status=status or None, overdue="y" if overdue_only else None,
                       page=number if number > 1 else None)

    return render_template(
        "staff/implementation/dashboard.html",
        counts=counts,
        overdue=[(a, action_rules.days_overdue(a, now)) for a in overdue],
        rows=rows,
        late={a.id: action_rules.days_overdue(a, now) for a in rows if action_rules.is_overdue(a, now)},
        total=total,
        page=page,
        pages=shown.pages,
        page_url=page_url,
        filters=filters,
        status=status,
        overdue_only=overdue_only,
        first_row=(page - 1) * PAGE_SIZE + 1,
    )

