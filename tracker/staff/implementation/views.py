"""Implementation: the actions that carry out a decision, their dated updates, and a
dashboard of what is late. Policy staff and approvers change them; every role reads.

Overdue is never stored: it is worked out from the due date and status each time
(``outcomes.is_overdue`` in Python, ``outcomes.overdue_clause`` in SQL).
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation, ValidationError

from consultations.models import Recommendation, Response

from consultations import outcomes
from tracker.web.roles import login_required, role_required
from tracker.db import db
from tracker.web.paging import paginate
from tracker.web.editing import StaleEdit, ensure_current
from tracker.web.fields import GovDateField
from tracker.web.forms import Form, QueryForm, VersionedForm, options
from consultations.workflow import ACTION_STATUSES, Action, ActionUpdate, Decision, User

bp = Blueprint("implementation", __name__)

IMPLEMENTERS = ("policy", "approver")
STATUS_CHOICES = options(ACTION_STATUSES.choices())
PAGE_SIZE = 25
OVERDUE_SHOWN = 20
PROGRESS_MESSAGE = "Progress must be a whole number from 0 to 100"


def today() -> dt.date:
    return dt.date.today()


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------


class ActionForm(Form):
    description = TextAreaField(
        "What will be done",
        widget=GovTextArea(),
        validators=[DataRequired("Describe the action"),
                    Length(max=5000, message="The description must be 5,000 characters or fewer")],
    )
    owner = StringField(
        "Owner",
        widget=GovTextInput(),
        description="A team or a person, for example ‘Policy team’ or ‘Sam Jones’",
        validators=[DataRequired("Enter who owns the action: a team or a person"),
                    Length(max=outcomes.MAX_OWNER_LENGTH,
                           message=f"The owner must be {outcomes.MAX_OWNER_LENGTH} characters or fewer")],
    )
    due_on = GovDateField("Due date", description="For example, 27 3 2026",
                            required_message="Enter the date the action is due")
    status = RadioField(
        "Status", choices=STATUS_CHOICES, widget=GovRadioInput(),
        validators=[InputRequired("Select the status of the action")],
        invalid_choice_message="Select one of the statuses listed",
    )
    progress = IntegerField(
        "Progress (percent complete)",
        widget=GovTextInput(),
        description="A whole number from 0 to 100",
        invalid_value_message=PROGRESS_MESSAGE,
        validators=[InputRequired("Enter the progress, from 0 to 100"),
                    NumberRange(min=0, max=100, message=PROGRESS_MESSAGE)],
    )


class EditActionForm(VersionedForm, ActionForm):
    """The action form, remembering the version of the action it was loaded with."""


def evidence_link(form, field) -> None:
    """Field errors for the evidence link, with the service's own rule."""
    try:
        field.data = outcomes.check_evidence_url(field.data)
    except outcomes.ActionError as error:
        raise StopValidation(str(error)) from None


def not_in_the_future(form, field) -> None:
    if field.data is not None and field.data > today():
        raise ValidationError("The date of the update must be today or in the past")


class UpdateForm(VersionedForm):
    """A dated update. ``version`` is the action's: a status change made on an out-of-date
    page is refused like a stale edit; a plain note is always added."""

    on = GovDateField("Date of the update", description="For example, 27 3 2026",
                        required_message="Enter the date of the update", validators=[not_in_the_future])
    text = TextAreaField(
        "What has happened",
        widget=GovTextArea(),
        validators=[DataRequired("Say what has happened"),
                    Length(max=5000, message="The update must be 5,000 characters or fewer")],
    )
    evidence_url = StringField(
        "Link to evidence (optional)",
        widget=GovTextInput(),
        description="A web address starting with https://, for example a published report",
        validators=[evidence_link],
    )
    new_status = SelectField(
        "New status (optional)",
        choices=options([("", "Leave the status unchanged")]) + STATUS_CHOICES,
        widget=GovSelect(),
        invalid_choice_message="Select one of the statuses listed",
    )
    is_public = BooleanField(
        "This update may appear on published outcome pages", widget=GovCheckboxInput(),
        description="Leave unticked for updates that are for staff only.",
    )


class DashboardFilter(QueryForm):
    status = SelectField("Status", choices=options([("", "All statuses")]) + STATUS_CHOICES, widget=GovSelect(),
                         validate_choice=False)
    overdue = BooleanField("Overdue only", widget=GovCheckboxInput())


# ---------------------------------------------------------------------------
# Loading and rendering
# ---------------------------------------------------------------------------


def _action_or_404(action_id: int) -> Action:
    return db.one_or_404(
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
        )
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
            overdue_days=outcomes.days_overdue(action, now) if outcomes.is_overdue(action, now) else None,
            state_form=VersionedForm(formdata=None, version=action.version_id),
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
    decision = db.one_or_404(
        select(Decision)
        .where(Decision.id == decision_id)
        .options(selectinload(Decision.recommendation).selectinload(Recommendation.response)
                 .selectinload(Response.respondent))
    )
    form = ActionForm(data=None if request.method == "POST" else {"status": "not started", "progress": 0})
    if request.method == "GET":
        return _render_action_form(None, decision, form)
    if not form.validate_on_submit():
        return _render_action_form(None, decision, form, status=400)
    if form.due_on.data < today():
        form.due_on.errors.append("The due date must be today or in the future")
        return _render_action_form(None, decision, form, status=400)
    try:
        action = outcomes.add_action(db.session, decision, form.description.data, form.owner.data,
                                     form.due_on.data, form.status.data, form.progress.data, today())
        db.session.commit()
    except outcomes.ActionError as error:
        db.session.rollback()
        return _render_action_form(None, decision, form, problem=str(error), status=400)
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
        form = EditActionForm(formdata=None, obj=item, version=item.version_id)
        return _render_action_form(item, item.decision, form)
    form = EditActionForm()
    if not form.validate_on_submit():
        return _render_action_form(item, item.decision, form, status=400)
    created_on = item.created_at.date()
    if form.due_on.data != item.due_on and form.due_on.data < created_on:
        form.due_on.errors.append(f"The due date cannot be before the action was created ({created_on.day} "
                                  f"{created_on:%B %Y})")
        return _render_action_form(item, item.decision, form, status=400)
    try:
        ensure_current(db.session, item, form.version.data)
        outcomes.edit_action(item, form.description.data, form.owner.data, form.due_on.data,
                             form.status.data, form.progress.data)
        db.session.commit()
    except StaleEdit as conflict:
        db.session.rollback()
        form.accept_current_version(conflict.obj)
        return _render_action_form(item, item.decision, form, conflict=conflict, status=409)
    except outcomes.ActionError as error:
        db.session.rollback()
        return _render_action_form(item, item.decision, form, problem=str(error), status=400)
    flash("Action saved.")
    return redirect(url_for(".action", action_id=item.id))


def _render_update_form(item: Action, form: UpdateForm, *, conflict=None, problem=None, status=200):
    form.new_status.choices = options([("", f"Leave the status unchanged ({item.status})")]) + STATUS_CHOICES
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
        return _render_update_form(item, UpdateForm(formdata=None, version=item.version_id, on=today()))
    form = UpdateForm()
    if not form.validate_on_submit():
        return _render_update_form(item, form, status=400)
    try:
        if form.new_status.data:
            ensure_current(db.session, item, form.version.data)
        outcomes.add_update(db.session, item, form.on.data, form.text.data, form.evidence_url.data,
                            form.new_status.data or None, form.is_public.data, g.user.id, today())
        db.session.commit()
    except StaleEdit as conflict:
        db.session.rollback()
        form.accept_current_version(conflict.obj)
        return _render_update_form(item, form, conflict=conflict, status=409)
    except outcomes.ActionError as error:
        db.session.rollback()
        return _render_update_form(item, form, problem=str(error), status=400)
    flash("Update added." + (f" The action is now {item.status}." if form.new_status.data else ""))
    return redirect(url_for(".action", action_id=item.id))


def _change_action(action_id: int, change, done: str):
    item = _action_or_404(action_id)
    form = VersionedForm()
    if not form.validate_on_submit():
        return render_action_page(item, problem="The form was incomplete. Reload the page and try again.",
                                  status=400)
    try:
        ensure_current(db.session, item, form.version.data)
        change(item)
        db.session.commit()
    except StaleEdit as conflict:
        db.session.rollback()
        return render_action_page(item, conflict=conflict, status=409)
    except outcomes.ActionError as error:
        db.session.rollback()
        return render_action_page(item, problem=str(error), status=400)
    flash(done)
    return redirect(url_for(".action", action_id=item.id))


@bp.route("/actions/<id:action_id>/delete", methods=["POST"])
@role_required(*IMPLEMENTERS)
def delete_action(action_id: int):
    return _change_action(action_id, outcomes.delete_action,
                          "Action deleted. It no longer counts anywhere; you can restore it from this page.")


@bp.route("/actions/<id:action_id>/restore", methods=["POST"])
@role_required(*IMPLEMENTERS)
def restore_action(action_id: int):
    return _change_action(action_id, outcomes.restore_action, "Action restored.")


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
    counts = outcomes.dashboard_counts(db.session, now)

    overdue = db.session.scalars(
        _with_context(outcomes.live_actions().where(outcomes.overdue_clause(now)))
        .order_by(Action.due_on, Action.id)
        .limit(OVERDUE_SHOWN)
    ).all()

    listed = outcomes.live_actions()
    if status:
        listed = listed.where(Action.status == status)
    if overdue_only:
        listed = listed.where(outcomes.overdue_clause(now))
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
        overdue=[(a, outcomes.days_overdue(a, now)) for a in overdue],
        rows=rows,
        late={a.id: outcomes.days_overdue(a, now) for a in rows if outcomes.is_overdue(a, now)},
        total=total,
        page=page,
        pages=shown.pages,
        page_url=page_url,
        filters=filters,
        status=status,
        overdue_only=overdue_only,
        first_row=(page - 1) * PAGE_SIZE + 1,
    )

