"""The triage queue: responses filtered, counted by status and paged, and assigning the
ticked ones to someone (or nobody)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, contains_eager
from werkzeug.datastructures import MultiDict

from consultations import triage as service
from consultations.soft_delete import WITH_DELETED
from consultations.models import RESPONSE_STATUSES, Consultation, Recommendation, Respondent, Response
from consultations.organisation_types import filter_options as organisation_type_options
from consultations.triage import STATUS_FLOW
from consultations.workflow import User

from tracker.db import db
from tracker.staff.triage import bp, policy_required
from tracker.staff.triage.common import plural
from tracker.staff.triage.forms import AssignForm, QueueFilterForm
from tracker.web.editing import apply_edit
from tracker.web.forms import error_list, options
from tracker.web.ids import parse_id
from tracker.web.paging import paginate
from tracker.web.roles import is_safe_next, login_required

PER_PAGE = 25
MAX_PER_PAGE = 100
UNASSIGNED = "none"


def _positive_int(value, default: int, upper: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if number < 1:
        return default
    return min(number, upper) if upper else number


def _queue_filters(form: QueueFilterForm) -> list:
    """Where-clauses for every valid filter except status (the counts are per status)."""
    def valid(field):
        return not field.errors and field.data not in (None, "")

    clauses = [Response.deleted_at.is_not(None)] if form.show_deleted.data else []
    if valid(form.consultation):
        clauses.append(Response.consultation_id == int(form.consultation.data))
    if valid(form.assignee):
        if form.assignee.data == UNASSIGNED:
            clauses.append(Response.assignee_id.is_(None))
        else:
            clauses.append(Response.assignee_id == int(form.assignee.data))
    if valid(form.organisation_type):
        clauses.append(Respondent.organisation_type_id == int(form.organisation_type.data))
    if valid(form.received_from):
        clauses.append(Response.received_on >= form.received_from.data)
    if valid(form.received_to):
        clauses.append(Response.received_on <= form.received_to.data)
    return clauses


def render_queue(args: MultiDict, assign_form: AssignForm | None = None, code: int = 200,
                 selection_error: str | None = None):
    """The queue for the filters in ``args``. Always the same six queries, whatever the rows:
    the signed-in user, three for the filter choices, one count per status, one page of rows."""
    consultations = db.session.execute(
        select(Consultation.id, Consultation.title).order_by(Consultation.title)
    ).all()
    users = db.session.scalars(select(User).order_by(User.name, User.id)).all()
    organisation_types = organisation_type_options(db.session)

    form = QueueFilterForm(formdata=args)
    form.consultation.choices = options([("", "All consultations"), *consultations])
    form.status.choices = options([("", "Any status"), *RESPONSE_STATUSES.choices()])
    form.assignee.choices = options([("", "Anyone or nobody"), (UNASSIGNED, "Unassigned"), *(
        (u.id, u.name + ("" if u.active else " (deactivated)")) for u in users
    )])
    form.organisation_type.choices = options([("", "All organisation types"), *organisation_types])
    filters_ok = form.validate()

    if assign_form is None:
        assign_form = AssignForm(formdata=None, prefix="assign")
    assign_form.assignee.choices = options([("", "Choose a member of staff"), (UNASSIGNED, "Nobody (unassign)"), *(
        (u.id, f"{u.name} ({u.role})") for u in users if u.active
    )])
    assign_form.return_to.data = request.full_path.rstrip("?") if request.method == "GET" else (
        assign_form.return_to.data or url_for("triage.queue"))

    clauses = _queue_filters(form)
    # The deleted responses' list sees deleted rows; its clauses pick deleted or live responses.
    deleted_too = WITH_DELETED if form.show_deleted.data else {}
    counted = dict(
        db.session.execute(
            select(Response.status, func.count(Response.id))
            .join(Response.respondent)
            .where(*clauses)
            .group_by(Response.status)
            .execution_options(**deleted_too)
        ).all()
    )
    status = form.status.data if not form.status.errors and form.status.data else None
    total = counted.get(status, 0) if status else sum(counted.values())
    per_page = _positive_int(args.get("per_page"), PER_PAGE, MAX_PER_PAGE)

    # Counted for the page's rows only (correlated), not grouped over every recommendation.
    recommendations = (
        select(func.count())
        .where(Recommendation.response_id == Response.id,
               Recommendation.deleted_at.is_(None))  # said here: the deleted list sees deleted rows
        .scalar_subquery()
    )
    assignee = aliased(User)
    listed = paginate(
        select(Response, assignee.name, recommendations)
        .join(Response.respondent)
        .join(Response.consultation)
        .outerjoin(assignee, assignee.id == Response.assignee_id)
        .where(*clauses, *([Response.status == status] if status else []))
        .options(contains_eager(Response.respondent), contains_eager(Response.consultation))
        # NULLS LAST (undated last) walks the index on response (received_on, id)
        .order_by(Response.received_on.asc().nulls_last(), Response.id)
        .execution_options(**deleted_too),
        per_page, total=total, rows=True)
    rows, page = listed.items, listed.page

    base = args.to_dict(flat=False)
    base.pop("page", None)

    def page_url(number: int) -> str:
        return url_for("triage.queue", **base, page=number)

    def status_url(value: str | None) -> str:
        params = {k: v for k, v in base.items() if k != "status"}
        return url_for("triage.queue", **params, **({"status": value} if value else {}))

    status_counts = [
        {"status": s, "count": counted.get(s, 0), "href": status_url(s), "current": s == status}
        for s in STATUS_FLOW
    ]
    errors = error_list(form, assign_form)
    if selection_error:
        errors.append({"text": selection_error, "href": "#responses"})
    return render_template(
        "staff/triage/queue.html",
        form=form,
        assign_form=assign_form,
        rows=rows,
        errors=errors,
        status_counts=status_counts,
        all_url=status_url(None),
        total=total,
        all_total=sum(counted.values()),
        page=page,
        pages=listed.pages,
        per_page=per_page,
        first=(page - 1) * per_page + 1 if rows else 0,
        last=(page - 1) * per_page + len(rows),
        page_url=page_url,
        show_deleted=bool(form.show_deleted.data),
        filtered=any(v for k, v in args.items(multi=True) if k not in ("page", "per_page")),
    ), (code if filters_ok else 400)


@bp.route("/triage/")
@login_required
def queue():
    """Responses waiting for triage, filtered, counted by status and paged."""
    return render_queue(request.args)


@bp.route("/triage/assign", methods=["POST"])
@policy_required
def assign():
    """Assign the ticked responses to someone (or nobody), then go back to the same view."""
    form = AssignForm(prefix="assign")
    queue_url = url_for("triage.queue")
    target = form.return_to.data if is_safe_next(form.return_to.data) else queue_url
    if urlsplit(target).path != queue_url:
        target = queue_url
    form.return_to.data = target
    queue_args = MultiDict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.active.is_(True)))}
    form.assignee.choices = options([("", ""), (UNASSIGNED, ""), *((i, "") for i in users)])
    valid = form.validate()
    ids = {parse_id(raw) for raw in request.form.getlist("response_ids")} - {None}
    responses = db.session.scalars(
        select(Response).where(Response.id.in_(ids)).order_by(Response.id)
    ).all() if ids else []
    selection_error = None
    if not ids:
        selection_error = "Select at least one response to assign"
    elif len(responses) != len(ids):
        selection_error = "Some of the selected responses have been deleted. Reload the queue and select again"
    if not valid or selection_error:
        return render_queue(queue_args, assign_form=form, code=400, selection_error=selection_error)
    user = users.get(int(form.assignee.data)) if form.assignee.data != UNASSIGNED else None
    outcome = apply_edit(form, lambda: service.assign(db.session, responses, user.id if user else None),
                         lambda code, conflict: render_queue(queue_args, assign_form=form, code=code),
                         error_field=form.assignee, validate=False)
    if outcome.refused:
        return outcome.page
    if user:
        flash(f"{plural(len(responses), 'response')} assigned to {user.name}.")
    else:
        flash(f"{plural(len(responses), 'response')} unassigned.")
    return redirect(target)

