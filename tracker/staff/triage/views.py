"""Triage: the queue of responses, assignment, review status, and putting each response's
recommendations in order (add, edit, split, merge, move, mark duplicates, delete, restore)
and the respondent's publication consent.

Views are thin: they parse a form, call a service in ``consultations.triage`` and commit,
or roll back and show the service's message (HTTP 400) so nothing is half-saved. Every
change is audited by the flush hook in ``consultations.audit``. Anyone signed in can read the
queue and the management page; only policy staff change anything.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from consultations import anchoring
from consultations import triage as service
from consultations.anchoring import AnchoringError
from consultations.models import (
    CONSENT_LEVELS,
    RESPONSE_STATUSES,
    Consultation,
    Question,
    Recommendation,
    Respondent,
    Response,
)
from consultations.triage import STATUS_FLOW, TriageError

from tracker.web.roles import is_safe_next, login_required, role_required
from tracker.staff.browse.views import build_tree, highlight_paragraphs
from tracker.db import db
from tracker.web.ids import parse_id
from tracker.web.paging import paginate
from tracker.web.editing import StaleEdit, ensure_current
from tracker.web.forms import Form, QueryForm, VersionedForm, options
from consultations.workflow import Decision, User

bp = Blueprint("triage", __name__)

policy_required = role_required("policy")

PER_PAGE = 25
MAX_PER_PAGE = 100
UNASSIGNED = "none"
DUPLICATE_CHOICES = 100  # candidates listed in the duplicate select; a search narrows them

CONSENT_HINTS = {
    "named": "We may publish the respondent's name with what they said.",
    "anonymous": "We may publish what they said, but not who said it.",
    "confidential": "We publish nothing from their responses; they are used only inside the inspectorate.",
}
STATUS_MOVE_LABELS = {
    ("received", "in review"): "Start review",
    ("in review", "recommendations confirmed"): "Confirm recommendations",
    ("recommendations confirmed", "closed"): "Close the response",
    ("in review", "received"): "Move back to received",
    ("recommendations confirmed", "in review"): "Reopen review",
    ("closed", "recommendations confirmed"): "Reopen: back to recommendations confirmed",
}


def triage_status_moves(status: str) -> list[dict]:
    """The status buttons a response page offers: the next step first, then the step back."""
    return [
        {"status": target, "label": STATUS_MOVE_LABELS.get((status, target), f"Change to {target}"),
         "forward": STATUS_FLOW.index(target) > STATUS_FLOW.index(status) if status in STATUS_FLOW else True}
        for target in service.allowed_statuses(status)
    ]


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------


class ChoiceField(SelectField):
    """A GOV.UK select where empty means "not chosen", and a value that is not offered is
    refused with a message that says what to do (``refusal``)."""

    widget = GovSelect()

    def __init__(self, label=None, validators=None, refusal: str | None = None, **kwargs):
        kwargs.setdefault("default", "")
        super().__init__(label, validators, **kwargs)
        self.refusal = refusal or f"Choose {label.lower()} from the list"

    def pre_validate(self, form):
        if self.data in (None, "") or not self.validate_choice:
            return
        if str(self.data) not in {str(choice.value) for choice in self.choices}:
            raise ValidationError(self.refusal)


class DateFilterField(Field):
    """A GOV.UK date input (day, month, year) that may be left empty.

    Also accepts one ISO date (``2019-04-12``) so links can carry a date. Anything partly
    filled or not a real date is an error that names the field, never a crash.
    """

    widget = GovDateInput()

    def process_formdata(self, valuelist):
        parts = [str(value).strip() for value in valuelist]
        if len(parts) == 1 and parts[0].count("-") == 2:
            year, month, day = parts[0].split("-")
            parts = [day, month, year]
        self.raw_data = (parts + ["", "", ""])[:3]
        self.data = None
        if not any(self.raw_data):
            return
        day, month, year = self.raw_data
        try:
            if len(year) != 4:
                raise ValueError
            self.data = dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(
                f"{self.label.text} must be a real date, for example 12 4 2019"
            ) from None

    def _value(self):
        return self.data.isoformat() if self.data else ""


class QueueFilterForm(QueryForm):
    consultation = ChoiceField("Consultation", refusal="Choose a consultation from the list")
    status = ChoiceField("Status", refusal="Choose a status from the list")
    assignee = ChoiceField("Assigned to", refusal="Choose who the responses are assigned to from the list")
    organisation_type = ChoiceField("Organisation type", refusal="Choose an organisation type from the list")
    received_from = DateFilterField("Received on or after", description="For example, 12 4 2019")
    received_to = DateFilterField("Received on or before", description="For example, 30 4 2019")
    show_deleted = BooleanField("Show deleted responses only", widget=GovCheckboxInput(),
                                description="Deleted responses are kept and can be restored from that list.")

    def validate_received_to(self, field):
        start, end = self.received_from.data, field.data
        if start and end and start > end and not self.received_from.errors:
            raise ValidationError("Received on or before must be the same as or after received on or after")


class EditForm(VersionedForm):
    """A versioned form whose missing version is explained, not just "This field is required"."""

    version = IntegerField(widget=HiddenInput(), validators=[
        InputRequired("The form was sent without the version it was loaded at. Reload the page and try again")])


class AssignForm(Form):
    assignee = ChoiceField("Assign the selected responses to",
                           refusal="Choose someone from the list: they may have been deactivated",
                           validators=[InputRequired("Choose who to assign the responses to")])
    return_to = HiddenField()


class StatusForm(EditForm):
    status = StringField(validators=[InputRequired("Choose the new status")])
    return_to = HiddenField()


class RecommendationForm(EditForm):
    text = TextAreaField("Text", widget=GovTextArea(),
                         validators=[InputRequired("Enter the text of the recommendation")])
    question = ChoiceField("Answers question", refusal="Choose one of this consultation's questions")


class AddRecommendationForm(Form):
    """A recommendation from a passage selected in the response text (``start`` and ``end``,
    filled in by tracker/static/anchoring.js) or from typed text, which is looked for in it."""

    text = TextAreaField("Text of the recommendation", widget=GovTextArea())
    start = HiddenField()
    end = HiddenField()
    parent = ChoiceField("Sub-point of", refusal="Choose one of this response's top-level recommendations")
    question = ChoiceField("Answers question", refusal="Choose one of this consultation's questions")
    return_to = HiddenField()


WORD = "word"  # the split point is the word chosen in the select, not one of the radios


class SplitForm(EditForm):
    """Where the second part starts: a sentence or clause boundary (radios), or any word
    (the select, which a click in the text sets when JavaScript runs). Values are offsets
    into the recommendation's text at the version the form was loaded with."""

    point = RadioField("Where does the second part start?", widget=GovRadioInput(), validate_choice=False,
                       description="Each point is shown with the words that end the first part.")
    word = ChoiceField("The second part starts with", refusal="Choose one of the words offered")


class MergeForm(EditForm):
    others = SelectMultipleField("Recommendations to merge into this one", coerce=int,
                                 widget=GovCheckboxesInput(),
                                 description="Select all that apply. Their sub-points become sub-points of this one.")


class DuplicateForm(EditForm):
    target = ChoiceField("Duplicate of")
    target_id = StringField("Or enter the other recommendation's reference number",
                            widget=GovTextInput(),
                            description="The number at the end of its page address, for example 42")


class ConsentForm(EditForm):
    consent = RadioField("What may we publish from this respondent's responses?",
                         choices=options(CONSENT_LEVELS.choices()),
                         widget=GovRadioInput(),
                         description="Contact details are never published, whatever you choose.",
                         validators=[InputRequired("Choose what may be published")])
    organisation_type = StringField(
        "Organisation type", widget=GovTextInput(),
        description="For example, voluntary sector, probation provider, individual",
        validators=[Length(max=service.ORGANISATION_TYPE_MAX,
                           message=f"The organisation type must be {service.ORGANISATION_TYPE_MAX} "
                                   "characters or fewer")],
    )
    return_to = HiddenField()


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def error_list(*forms) -> list[dict]:
    """GOV.UK error summary entries for every field error, linked to the field."""
    return [
        {"text": field.errors[0], "href": f"#{field.id}-day" if isinstance(field, DateFilterField) else f"#{field.id}"}
        for form in forms if form is not None
        for field in form
        if field.errors
    ]


def add_error(field, message: str) -> None:
    field.errors = [*field.errors, message]


def return_to(default: str) -> str:
    """Where to go after a change: the page the form came from, if it is on this site."""
    target = request.form.get("return_to") or request.args.get("next")
    return target if is_safe_next(target) else default


def live_response(response_id: int, *loaders) -> Response:
    """A response that has not been deleted, or 404: deleted ones are only restored."""
    return db.one_or_404(
        select(Response).where(Response.id == response_id, Response.deleted_at.is_(None)).options(*loaders)
    )


def live_recommendation(rec_id: int) -> Recommendation:
    """A recommendation (deleted or not) of a response that has not been deleted, or 404."""
    return db.one_or_404(
        select(Recommendation)
        .join(Recommendation.response)
        .where(Recommendation.id == rec_id, Response.deleted_at.is_(None))
        .options(
            contains_eager(Recommendation.response).selectinload(Response.respondent),
            contains_eager(Recommendation.response).selectinload(Response.consultation),
        )
    )


def shorten(text: str, length: int) -> str:
    """Text cut to ``length`` characters at most, with an ellipsis if cut (for select options)."""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 3].rstrip() + "..."


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------
# The triage queue
# ---------------------------------------------------------------------------


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

    clauses = [Response.deleted_at.is_not(None) if form.show_deleted.data else Response.deleted_at.is_(None)]
    if valid(form.consultation):
        clauses.append(Response.consultation_id == int(form.consultation.data))
    if valid(form.assignee):
        if form.assignee.data == UNASSIGNED:
            clauses.append(Response.assignee_id.is_(None))
        else:
            clauses.append(Response.assignee_id == int(form.assignee.data))
    if valid(form.organisation_type):
        clauses.append(Respondent.organisation_type == form.organisation_type.data)
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
    organisation_types = db.session.scalars(
        select(Respondent.organisation_type)
        .where(Respondent.organisation_type.is_not(None))
        .distinct()
        .order_by(Respondent.organisation_type)
    ).all()

    form = QueueFilterForm(formdata=args)
    form.consultation.choices = options([("", "All consultations"), *consultations])
    form.status.choices = options([("", "Any status"), *RESPONSE_STATUSES.choices()])
    form.assignee.choices = options([("", "Anyone or nobody"), (UNASSIGNED, "Unassigned"), *(
        (u.id, u.name + ("" if u.active else " (deactivated)")) for u in users
    )])
    form.organisation_type.choices = options([("", "All organisation types"), *((t, t) for t in organisation_types)])
    filters_ok = form.validate()

    if assign_form is None:
        assign_form = AssignForm(formdata=None, prefix="assign")
    assign_form.assignee.choices = options([("", "Choose a member of staff"), (UNASSIGNED, "Nobody (unassign)"), *(
        (u.id, f"{u.name} ({u.role})") for u in users if u.active
    )])
    assign_form.return_to.data = request.full_path.rstrip("?") if request.method == "GET" else (
        assign_form.return_to.data or url_for("triage.queue"))

    clauses = _queue_filters(form)
    counted = dict(
        db.session.execute(
            select(Response.status, func.count(Response.id))
            .join(Response.respondent)
            .where(*clauses)
            .group_by(Response.status)
        ).all()
    )
    status = form.status.data if not form.status.errors and form.status.data else None
    total = counted.get(status, 0) if status else sum(counted.values())
    per_page = _positive_int(args.get("per_page"), PER_PAGE, MAX_PER_PAGE)

    recommendations = (
        select(Recommendation.response_id, func.count().label("n"))
        .where(Recommendation.deleted_at.is_(None))
        .group_by(Recommendation.response_id)
        .subquery()
    )
    assignee = aliased(User)
    listed = paginate(
        select(Response, assignee.name, func.coalesce(recommendations.c.n, 0))
        .join(Response.respondent)
        .join(Response.consultation)
        .outerjoin(assignee, assignee.id == Response.assignee_id)
        .outerjoin(recommendations, recommendations.c.response_id == Response.id)
        .where(*clauses, *([Response.status == status] if status else []))
        .options(contains_eager(Response.respondent), contains_eager(Response.consultation))
        .order_by(Response.received_on.is_(None), Response.received_on, Response.id),
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
        select(Response).where(Response.id.in_(ids), Response.deleted_at.is_(None)).order_by(Response.id)
    ).all() if ids else []
    selection_error = None
    if not ids:
        selection_error = "Select at least one response to assign"
    elif len(responses) != len(ids):
        selection_error = "Some of the selected responses have been deleted. Reload the queue and select again"
    if not valid or selection_error:
        db.session.rollback()
        return render_queue(queue_args, assign_form=form, code=400, selection_error=selection_error)
    user = users.get(int(form.assignee.data)) if form.assignee.data != UNASSIGNED else None
    try:
        service.assign(db.session, responses, user.id if user else None)
        db.session.commit()
    except TriageError as error:
        db.session.rollback()
        add_error(form.assignee, str(error))
        return render_queue(queue_args, assign_form=form, code=400)
    if user:
        flash(f"{plural(len(responses), 'response')} assigned to {user.name}.")
    else:
        flash(f"{plural(len(responses), 'response')} unassigned.")
    return redirect(target)


# ---------------------------------------------------------------------------
# One response: status, deleting, and managing its recommendations
# ---------------------------------------------------------------------------


def _manage_response(response_id: int) -> Response:
    return live_response(
        response_id,
        selectinload(Response.respondent),
        selectinload(Response.consultation),
        selectinload(Response.recommendations).selectinload(Recommendation.question),
        selectinload(Response.recommendations)
        .selectinload(Recommendation.duplicate_of)
        .selectinload(Recommendation.response)
        .selectinload(Response.respondent),
    )


def render_manage(response: Response, errors: list[dict] | None = None, conflict: StaleEdit | None = None,
                  code: int = 200):
    """The recommendations of one response in order, with every triage action."""
    live = [rec for rec in response.recommendations if rec.deleted_at is None]
    deleted = [rec for rec in response.recommendations if rec.deleted_at is not None]
    rows = []

    length = len(response.text or "")

    def anchored(node) -> bool:
        return anchoring.primary_start(node.obj.spans, length) is not None

    def walk(nodes, depth):
        # Two recommendations with passages keep the order of the text: no move between them.
        for index, node in enumerate(nodes):
            up = index > 0 and not (anchored(node) and anchored(nodes[index - 1]))
            down = index < len(nodes) - 1 and not (anchored(node) and anchored(nodes[index + 1]))
            rows.append({"rec": node.obj, "depth": depth, "up": up, "down": down, "children": len(node.children)})
            walk(node.children, depth + 1)

    walk(build_tree(live), 0)
    assignee = db.session.get(User, response.assignee_id) if response.assignee_id else None
    return render_template(
        "staff/triage/manage.html",
        response=response,
        rows=rows,
        deleted=deleted,
        assignee=assignee,
        errors=errors or [],
        conflict=conflict,
    ), code


@bp.route("/responses/<id:response_id>/recommendations")
@login_required
def manage(response_id: int):
    """Manage a response's recommendations (read by everyone, changed by policy staff)."""
    return render_manage(_manage_response(response_id))


def _refuse_on_manage(response_id: int, message: str, anchor: str = "recommendations", code: int = 400):
    """Roll back and show the management page with the reason, so nothing is half-saved."""
    db.session.rollback()
    return render_manage(_manage_response(response_id), errors=[{"text": message, "href": f"#{anchor}"}], code=code)


@bp.route("/responses/<id:response_id>/status", methods=["POST"])
@policy_required
def set_status(response_id: int):
    """Move a response one step on (or back) in triage, if nobody changed it meanwhile."""
    response = live_response(response_id)
    form = StatusForm()
    if not form.validate():
        return _refuse_on_manage(response_id, error_list(form)[0]["text"], "status")
    try:
        ensure_current(db.session, response, form.version.data)
    except StaleEdit as conflict:
        db.session.rollback()
        return render_manage(_manage_response(response_id), conflict=conflict, code=409)
    old = response.status
    try:
        service.set_status(response, form.status.data.strip())
        db.session.commit()
    except TriageError as error:
        return _refuse_on_manage(response_id, str(error), "status")
    flash(f"The response from {response.respondent.name} moved from ‘{old}’ to ‘{response.status}’.")
    return redirect(return_to(url_for("triage.manage", response_id=response_id)))


@bp.route("/responses/<id:response_id>/delete", methods=["POST"])
@policy_required
def delete_response(response_id: int):
    response = live_response(response_id)
    name = response.respondent.name
    service.delete_response(db.session, response)
    db.session.commit()
    flash(f"The response from {name} was deleted. It can be restored from the triage queue "
          "(show deleted responses).")
    return redirect(url_for("triage.queue"))


@bp.route("/responses/<id:response_id>/restore", methods=["POST"])
@policy_required
def restore_response(response_id: int):
    response = db.get_or_404(Response, response_id)
    try:
        service.restore_response(db.session, response)
        db.session.commit()
    except TriageError as error:
        return _refuse_on_manage(response_id, str(error), "response")
    flash(f"The response from {response.respondent.name} was restored.")
    return redirect(url_for("triage.manage", response_id=response_id))


# ---------------------------------------------------------------------------
# Adding and editing recommendations
# ---------------------------------------------------------------------------


def _question_choices(consultation_id: int) -> list[SelectChoice]:
    questions = db.session.scalars(
        select(Question).where(Question.consultation_id == consultation_id).order_by(Question.position, Question.id)
    ).all()
    return options([("", "Not set"), *((q.id, f"{q.number}. {shorten(q.text, 90)}") for q in questions)])


def _question(field) -> Question | None:
    return db.session.get(Question, int(field.data)) if field.data else None


def published_ids(response_id: int) -> set[int]:
    """Recommendations of a response whose keys have been seen in public: their group's decision
    was published (even if it has since been deleted). Their keys never change."""
    primary = func.coalesce(Recommendation.duplicate_of_id, Recommendation.id)
    return set(db.session.scalars(
        select(Recommendation.id).join(Decision, Decision.recommendation_id == primary)
        .where(Recommendation.response_id == response_id, Decision.published_at.is_not(None))
    ))


def _add_choices(form: AddRecommendationForm, response: Response) -> AddRecommendationForm:
    tops = [r for r in response.recommendations if r.parent_id is None and r.deleted_at is None]
    form.parent.choices = options([("", "None: a new top-level recommendation"),
                                   *((r.id, f"{r.key}: {shorten(r.text, 80)}") for r in tops)])
    form.question.choices = _question_choices(response.consultation_id)
    return form


def add_from_text_form(response: Response) -> AddRecommendationForm:
    """The add form the response page shows policy staff under the response text."""
    form = AddRecommendationForm(formdata=None, data={
        "return_to": url_for("browse.response", response_id=response.id)})
    return _add_choices(form, response)


def _anchor_note(rec: Recommendation, selected: bool) -> str:
    """What to tell staff when a recommendation's text is not its passage's."""
    if not rec.spans:
        return (" Its text is not in the response, so no passage is highlighted for it: to anchor it, "
                "select its passage in the response text.")
    if not anchoring.traced(rec.response.text or "", rec.text, rec.spans):
        source = "the passage you selected" if selected else "the original passage"
        return f" This text is not in the response; {source} is kept as its source."
    return ""


@bp.route("/responses/<id:response_id>/recommendations/new", methods=["GET", "POST"])
@policy_required
def add_recommendation(response_id: int):
    """Add a recommendation (or a sub-point) that extraction missed: from a passage selected in
    the response text, or from typed text, which is anchored where it occurs."""
    response = live_response(response_id, selectinload(Response.respondent),
                             selectinload(Response.consultation), selectinload(Response.recommendations))
    manage_url = url_for("triage.manage", response_id=response_id)
    form = _add_choices(AddRecommendationForm(), response)
    code = 200
    if request.method == "GET":
        form.return_to.data = return_to(manage_url)
    elif form.validate():
        target = form.return_to.data if is_safe_next(form.return_to.data) else manage_url
        parent = db.session.get(Recommendation, int(form.parent.data)) if form.parent.data else None
        try:
            span = anchoring.parse_selection(form.start.data, form.end.data, response.text or "")
            rec = service.add_recommendation(db.session, response, form.text.data, parent,
                                             _question(form.question), span)
            note = _anchor_note(rec, selected=span is not None)
            key = rec.key
            db.session.commit()
        except (TriageError, AnchoringError) as error:
            db.session.rollback()
            add_error(form.text, str(error))
        else:
            flash(f"Recommendation {key} was added.{note}")
            if urlsplit(target).path == url_for("browse.response", response_id=response_id):
                target = f"{target}#rec-{key}"
            return redirect(target)
    if request.method == "POST":
        code = 400
    paragraphs = highlight_paragraphs(response.text or "", {
        r.key: r.spans for r in response.recommendations if r.deleted_at is None})
    return render_template("staff/triage/add.html", response=response, form=form, errors=error_list(form),
                           paragraphs=paragraphs), code


def _edit_page(rec: Recommendation, edit=None, split=None, merge=None, duplicate=None,
               conflict: StaleEdit | None = None, code: int = 200):
    """The recommendation's hub: edit, split, merge, mark as duplicate, delete or restore.

    The form that was submitted keeps its input and errors; the others start fresh.
    """
    response = rec.response
    version = rec.version_id
    if edit is None:
        edit = RecommendationForm(formdata=None, data={"text": rec.text, "version": version,
                                                        "question": str(rec.question_id or "")})
    edit.question.choices = _question_choices(response.consultation_id)
    if split is None:
        split = SplitForm(formdata=None, prefix="split", data={"version": version})
    split_items = _split_choices(split, rec)
    document = response.text or ""
    sources = [document[start:end] for start, end in anchoring.valid_spans(rec.spans, len(document))]
    siblings = db.session.scalars(
        select(Recommendation)
        .where(Recommendation.response_id == response.id, Recommendation.deleted_at.is_(None),
               Recommendation.id != rec.id)
        .order_by(Recommendation.sequence, Recommendation.id)
    ).all()
    if merge is None:
        merge = MergeForm(formdata=None, prefix="merge", data={"version": version})
    merge.others.choices = options((r.id, f"{r.key}: {shorten(r.text, 150)}") for r in siblings)
    if duplicate is None:
        duplicate = DuplicateForm(formdata=None, prefix="duplicate", data={"version": version})
    find = (request.args.get("find") or "").strip()
    candidates_query = (
        select(Recommendation)
        .join(Recommendation.response)
        .join(Response.respondent)
        .where(Response.consultation_id == response.consultation_id, Response.deleted_at.is_(None),
               Recommendation.deleted_at.is_(None), Recommendation.id != rec.id)
        .options(contains_eager(Recommendation.response).contains_eager(Response.respondent))
        .order_by(Respondent.name, Response.id, Recommendation.sequence)
        .limit(DUPLICATE_CHOICES + 1)
    )
    if find:
        pattern = f"%{find}%"
        candidates_query = candidates_query.where(
            or_(Recommendation.text.ilike(pattern), Recommendation.key.ilike(pattern), Respondent.name.ilike(pattern))
        )
    candidates = db.session.scalars(candidates_query).all()
    duplicate.target.choices = options([("", "Choose a recommendation"), *(
        (r.id, f"{r.key} from {r.response.respondent.name}"
               f"{' (this response)' if r.response_id == response.id else ''}: {shorten(r.text, 70)}")
        for r in candidates[:DUPLICATE_CHOICES]
    )])
    duplicates = db.session.scalars(
        select(Recommendation)
        .where(Recommendation.duplicate_of_id == rec.id, Recommendation.deleted_at.is_(None))
        .options(selectinload(Recommendation.response).selectinload(Response.respondent))
        .order_by(Recommendation.id)
    ).all()
    return render_template(
        "staff/triage/edit.html",
        rec=rec,
        response=response,
        edit=edit,
        split=split,
        merge=merge,
        duplicate=duplicate,
        find=find,
        more_candidates=len(candidates) > DUPLICATE_CHOICES,
        duplicates=duplicates,
        conflict=conflict,
        errors=error_list(edit, split, merge, duplicate) if code != 409 else [],
        split_items=split_items,
        sources=sources,
        traced=anchoring.traced(document, rec.text, rec.spans),
    ), code


SPLIT_KINDS = {"sentence": "a new sentence starts", "clause": "after a semicolon or colon",
               "item": "a new list item starts"}


def _split_choices(form: SplitForm, rec: Recommendation) -> list[dict]:
    """Offer every point between two words of the text: sentence, clause and list-item
    boundaries as radios, any word in the select. Returns the radios' hints."""
    points = anchoring.split_points(rec.text or "")
    major = [p for p in points if p.kind != "word"]
    form.point.choices = options([*((p.offset, f"Before “{p.after}”") for p in major),
                                  *([(WORD, "Before another word, chosen below")] if major else [])])
    form.word.choices = options([("", "Choose a word"), *((p.offset, p.label) for p in points)])
    return [{"hint": {"text": f"After “{p.before}”: {SPLIT_KINDS[p.kind]}"}} for p in major] + (
        [{"hint": {"text": "Choose the word in the list, or click the text above where the second part starts"}}]
        if major else [])


def _chosen_point(form: SplitForm) -> tuple[int | None, Field, str | None]:
    """The offset the split form chose, or the field to blame and what to do."""
    radios = bool(form.point.choices)
    raw = (form.point.data or "") if radios else WORD
    if not raw:
        return None, form.point, "Choose where the second part starts"
    if raw == WORD:
        raw = form.word.data or ""
        if not raw:
            return None, form.word, "Choose the word the second part starts with"
    field = form.point if radios else form.word
    if not raw.isdigit() or len(raw) > 9:
        return None, field, "Choose one of the points offered. Reload the page if the text has changed"
    return int(raw), field, None


@bp.route("/recommendations/<id:rec_id>/edit", methods=["GET", "POST"])
@policy_required
def edit_recommendation(rec_id: int):
    """Correct a recommendation's text and question; the hub for every other change to it."""
    rec = live_recommendation(rec_id)
    if request.method == "GET":
        return _edit_page(rec)
    form = RecommendationForm()
    form.question.choices = _question_choices(rec.response.consultation_id)
    if not form.validate():
        return _edit_page(rec, edit=form, code=400)
    try:
        ensure_current(db.session, rec, form.version.data)
    except StaleEdit as conflict:
        db.session.rollback()
        form.accept_current_version(rec)
        return _edit_page(rec, edit=form, conflict=conflict, code=409)
    try:
        found = service.edit_recommendation(rec, form.text.data, _question(form.question))
        db.session.commit()
    except TriageError as error:
        db.session.rollback()
        add_error(form.text, str(error))
        return _edit_page(rec, edit=form, code=400)
    if found:
        flash(f"Recommendation {rec.key} was saved.")
    elif rec.spans:
        flash(f"Recommendation {rec.key} was saved. This text is not in the response; the original passage "
              "is kept as its source.")
    else:
        flash(f"Recommendation {rec.key} was saved. This text is not in the response, so no passage is "
              "highlighted for it.")
    return redirect(url_for("triage.manage", response_id=rec.response_id))


def _versioned_change(rec: Recommendation, form, name: str, change, error_field):
    """Validate, check the version, run ``change`` and commit; or re-render the hub with why not."""
    if not form.validate():
        return None, _edit_page(rec, **{name: form}, code=400)
    try:
        ensure_current(db.session, rec, form.version.data)
    except StaleEdit as conflict:
        db.session.rollback()
        form.accept_current_version(rec)
        return None, _edit_page(rec, **{name: form}, conflict=conflict, code=409)
    try:
        result = change()
        db.session.commit()
    except TriageError as error:
        db.session.rollback()
        add_error(error_field, str(error))
        return None, _edit_page(rec, **{name: form}, code=400)
    return result, None


@bp.route("/recommendations/<id:rec_id>/split", methods=["POST"])
@policy_required
def split_recommendation(rec_id: int):
    """Split a recommendation at the point chosen in its text; each part keeps its own passage."""
    rec = live_recommendation(rec_id)
    old_key = rec.key
    form = SplitForm(prefix="split")
    _split_choices(form, rec)
    point, field, problem = _chosen_point(form)
    if problem:
        form.validate()
        add_error(field, problem)
        return _edit_page(rec, split=form, code=400)
    split, refusal = _versioned_change(
        rec, form, "split",
        lambda: service.split_recommendation(db.session, rec, point, published_ids(rec.response_id)),
        field,
    )
    if refusal:
        return refusal
    notes = "".join(f" The text of {part.key} is not in the response; "
                    + ("the original passage is kept as its source." if part.spans else
                       "no passage is highlighted for it.")
                    for part, found in ((split.first, split.first_found), (split.second, split.second_found))
                    if not found)
    flash(f"{old_key} was split into {split.first.key} and {split.second.key}.{notes}")
    return redirect(url_for("triage.manage", response_id=rec.response_id))


def refuse_if_decided(recs: list[Recommendation]) -> None:
    """A recommendation with a decision of its own must not be folded into another: decisions
    follow a duplicate to its primary, so that decision would no longer be found."""
    decided = db.session.scalars(
        select(Recommendation.key)
        .join(Decision, Decision.recommendation_id == Recommendation.id)
        .where(Recommendation.id.in_([r.id for r in recs]), Decision.deleted_at.is_(None))
    ).all()
    if decided:
        raise TriageError(
            f"{', '.join(decided)} already {'has a decision' if len(decided) == 1 else 'have decisions'}. "
            "Delete that decision first (it stays in the history), or keep this recommendation and "
            "record the decision on it."
        )


@bp.route("/recommendations/<id:rec_id>/merge", methods=["POST"])
@policy_required
def merge_recommendations(rec_id: int):
    rec = live_recommendation(rec_id)
    form = MergeForm(prefix="merge")
    form.others.choices = None  # checked below: the service refuses anything not of this response
    form.others.validate_choice = False
    others: list[Recommendation] = []

    def merge():
        if not form.others.data:
            raise TriageError(f"Choose at least one recommendation to merge into {rec.key}.")
        found = db.session.scalars(select(Recommendation).where(Recommendation.id.in_(form.others.data))).all()
        if len(found) != len(set(form.others.data)):
            raise TriageError("Some of the chosen recommendations no longer exist. Reload the page and choose again.")
        refuse_if_decided(found)
        others.extend(found)
        return service.merge_recommendations(db.session, rec, found)

    keep, refusal = _versioned_change(rec, form, "merge", merge, form.others)
    if refusal:
        return refusal
    keys = ", ".join(o.key for o in others)
    flash(f"{keys} {'was' if len(others) == 1 else 'were'} merged into {keep.key}.")
    return redirect(url_for("triage.edit_recommendation", rec_id=keep.id))


@bp.route("/recommendations/<id:rec_id>/duplicate", methods=["POST"])
@policy_required
def mark_duplicate(rec_id: int):
    rec = live_recommendation(rec_id)
    form = DuplicateForm(prefix="duplicate")
    form.target.validate_choice = False  # the choices shown depend on a search; the service checks

    def mark():
        raw = (form.target_id.data or "").strip().lstrip("#") or (form.target.data or "")
        if not raw:
            raise TriageError("Choose the recommendation this one duplicates, or enter its reference number.")
        target_id = parse_id(raw)
        if target_id is None:
            raise TriageError("The reference number must be a number, for example 42.")
        refuse_if_decided([rec])
        return service.mark_duplicate(db.session, rec, db.session.get(Recommendation, target_id))

    primary, refusal = _versioned_change(rec, form, "duplicate", mark, form.target)
    if refusal:
        return refusal
    flash(f"{rec.key} is now marked as a duplicate of {primary.key} from {primary.response.respondent.name}.")
    return redirect(url_for("triage.edit_recommendation", rec_id=rec.id))


def _simple_change(rec_id: int, change, message):
    """A button press (move, clear, delete, restore): do it, or say why not on the management page."""
    rec = live_recommendation(rec_id)
    response_id = rec.response_id
    try:
        result = change(rec)
        db.session.commit()
    except TriageError as error:
        return _refuse_on_manage(response_id, str(error), f"rec-{rec_id}")
    flash(message(rec, result))
    return redirect(return_to(url_for("triage.manage", response_id=response_id)))


@bp.route("/recommendations/<id:rec_id>/move", methods=["POST"])
@policy_required
def move_recommendation(rec_id: int):
    direction = request.form.get("direction", "")
    return _simple_change(
        rec_id,
        lambda rec: service.move_recommendation(db.session, rec, direction),
        lambda rec, neighbour: f"{rec.key} moved {direction}, {'above' if direction == 'up' else 'below'} {neighbour.key}.",
    )


@bp.route("/recommendations/<id:rec_id>/duplicate/clear", methods=["POST"])
@policy_required
def clear_duplicate(rec_id: int):
    return _simple_change(
        rec_id,
        lambda rec: service.clear_duplicate(rec),
        lambda rec, _: f"{rec.key} is no longer marked as a duplicate.",
    )


@bp.route("/recommendations/<id:rec_id>/delete", methods=["POST"])
@policy_required
def delete_recommendation(rec_id: int):
    def message(rec, deleted):
        also = f" with its {plural(len(deleted) - 1, 'sub-point')}" if len(deleted) > 1 else ""
        return f"{rec.key} was deleted{also}. It can be restored from this page."

    return _simple_change(rec_id, lambda rec: service.delete_recommendation(db.session, rec), message)


@bp.route("/recommendations/<id:rec_id>/restore", methods=["POST"])
@policy_required
def restore_recommendation(rec_id: int):
    def message(rec, restored):
        also = f" with its {plural(len(restored) - 1, 'sub-point')}" if len(restored) > 1 else ""
        return f"{rec.key} was restored{also}."

    return _simple_change(rec_id, lambda rec: service.restore_recommendation(db.session, rec), message)


# ---------------------------------------------------------------------------
# Publication consent
# ---------------------------------------------------------------------------


@bp.route("/respondents/<id:respondent_id>/consent", methods=["GET", "POST"])
@policy_required
def edit_consent(respondent_id: int):
    """What may be published about a respondent, with stale-edit detection."""
    respondent = db.get_or_404(Respondent, respondent_id)
    responses = db.session.scalars(
        select(Response)
        .where(Response.respondent_id == respondent.id, Response.deleted_at.is_(None))
        .options(selectinload(Response.consultation))
        .order_by(Response.received_on, Response.id)
    ).all()
    default_return = (url_for("triage.manage", response_id=responses[0].id) if len(responses) == 1
                      else url_for("triage.queue"))
    if request.method == "GET":
        form = ConsentForm(formdata=None, data={
            "consent": respondent.consent, "organisation_type": respondent.organisation_type or "",
            "version": respondent.version_id, "return_to": return_to(default_return),
        })
        return render_template("staff/triage/consent.html", respondent=respondent, responses=responses, form=form,
                               errors=[], conflict=None, consent_items=_consent_items(form))
    form = ConsentForm()
    conflict, code = None, 400
    if form.validate():
        try:
            ensure_current(db.session, respondent, form.version.data)
            service.set_consent(respondent, form.consent.data, form.organisation_type.data)
            db.session.commit()
        except StaleEdit as stale:
            db.session.rollback()
            conflict, code = stale, 409
            form.accept_current_version(respondent)
        except TriageError as error:
            db.session.rollback()
            add_error(form.consent, str(error))
        else:
            flash(f"Publication consent for {respondent.name} is now ‘{respondent.consent}’.")
            return redirect(return_to(default_return))
    return render_template("staff/triage/consent.html", respondent=respondent, responses=responses, form=form,
                           errors=error_list(form) if not conflict else [], conflict=conflict,
                           consent_items=_consent_items(form)), code


def _consent_items(form: ConsentForm) -> list[dict]:
    """A hint under each radio saying what that level publishes (in the radios' order)."""
    return [{"hint": {"text": CONSENT_HINTS[choice.value]}} for choice in form.consent.choices]
