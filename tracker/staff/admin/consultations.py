"""Admin: consultations and their questions.

``save_consultation`` and ``save_question`` check, change and flush, never commit; a refusal
(``FieldErrors``) names the form fields it is about, and shows next to them.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from consultations.consultation_import import check_consultation
from consultations.models import Consultation, Question, Response
from tracker.db import db
from tracker.staff.admin.forms import ConsultationForm, EditConsultationForm, EditQuestionForm, QuestionForm
from tracker.staff.admin.views import bp
from tracker.web.editing import apply_edit
from tracker.web.roles import role_required


class FieldErrors(ValueError):
    """Refusals keyed by form field name, each message saying what to change."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


CONSULTATION_FIELDS = ("slug", "title", "body", "summary", "status", "opens_on", "closes_on", "retention_months")


def _consultation_problem_field(problem: str) -> str:
    """Which form field a ``check_consultation`` problem is about."""
    if problem.startswith(("slug ", "'slug'")):
        return "slug"
    for field in ("title", "body", "opens_on", "closes_on"):
        if problem.startswith(f"'{field}'"):
            return field
    if problem.startswith("status"):
        return "status"
    if "closes before it opens" in problem:
        return "closes_on"
    return "title"


def save_consultation(session: Session, consultation: Consultation | None, values: dict) -> Consultation:
    """Create (``consultation`` None) or change a consultation, with the consultation-file rules:
    slug format, known status, closes not before opens; and a slug no other consultation has."""
    values = {field: values.get(field) for field in CONSULTATION_FIELDS}
    for field in ("slug", "title", "body", "summary"):
        values[field] = _text(values[field] or "") or None
    values["status"] = values["status"] or "draft"
    errors: dict[str, str] = {}
    for problem in check_consultation({k: v for k, v in values.items() if v is not None}):
        errors.setdefault(_consultation_problem_field(problem), problem[0].upper() + problem[1:])
    if "slug" not in errors and values["slug"]:
        taken = select(Consultation.id).where(Consultation.slug == values["slug"])
        if consultation is not None:
            taken = taken.where(Consultation.id != consultation.id)
        if session.scalar(taken) is not None:
            errors["slug"] = f"Another consultation already uses the slug {values['slug']}. Choose a different one"
    if errors:
        raise FieldErrors(errors)
    if consultation is None:
        consultation = Consultation()
        session.add(consultation)
    for field, value in values.items():
        if _text(getattr(consultation, field)) != _text(value):  # unchanged fields stay out of the log
            setattr(consultation, field, value)
    session.flush()
    return consultation


def _text(value):
    """Text as a form sends it back: browsers turn line breaks into CRLF, and edges are trimmed."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def save_question(session: Session, consultation: Consultation, question: Question | None, values: dict) -> Question:
    """Create (``question`` None) or change a question; its number is unique within the consultation.

    A blank position puts a new question last and leaves an existing one where it is.
    """
    number = _text(values.get("number") or "")
    text = _text(values.get("text") or "")
    errors = {}
    if not number:
        errors["number"] = "Enter the question number"
    if not text:
        errors["text"] = "Enter the question"
    if number:
        taken = select(Question.id).where(Question.consultation_id == consultation.id, Question.number == number)
        if question is not None:
            taken = taken.where(Question.id != question.id)
        if session.scalar(taken) is not None:
            errors["number"] = f"This consultation already has a question {number}. Use a different number"
    if errors:
        raise FieldErrors(errors)
    position = values.get("position")
    if question is None:
        if position is None:
            last = session.scalar(select(func.max(Question.position)).where(Question.consultation_id == consultation.id))
            position = 0 if last is None else last + 1
        question = Question(consultation_id=consultation.id)
        session.add(question)
    changes = {"number": number, "text": text, "topic": _text(values.get("topic") or "") or None}
    if position is not None:
        changes["position"] = position
    for field, value in changes.items():
        if _text(getattr(question, field)) != value:
            setattr(question, field, value)
    session.flush()
    return question


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@bp.route("/admin/consultations")
@role_required("admin")
def consultations():
    """Every consultation with its question and response counts (one query)."""
    questions = (
        select(Question.consultation_id, func.count().label("n")).group_by(Question.consultation_id).subquery()
    )
    responses = (
        select(Response.consultation_id, func.count().label("n"))
        .group_by(Response.consultation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Consultation, func.coalesce(questions.c.n, 0), func.coalesce(responses.c.n, 0))
        .outerjoin(questions, questions.c.consultation_id == Consultation.id)
        .outerjoin(responses, responses.c.consultation_id == Consultation.id)
        .order_by(Consultation.opens_on.is_(None), Consultation.opens_on.desc(), Consultation.title, Consultation.id)
    ).all()
    return render_template("staff/admin/consultations.html", rows=rows)


def _consultation_values(form: ConsultationForm) -> dict:
    return {field: form[field].data for field in CONSULTATION_FIELDS}


@bp.route("/admin/consultations/new", methods=["GET", "POST"])
@role_required("admin")
def new_consultation():
    form = ConsultationForm()
    if request.method == "GET":
        return _render_consultation_form(form, None)
    outcome = apply_edit(form, lambda: save_consultation(db.session, None, _consultation_values(form)),
                         lambda code, conflict: _render_consultation_form(form, None, code=code),
                         error_field=form.title)
    if outcome.refused:
        return outcome.page
    consultation = outcome.result
    flash(f"The consultation “{consultation.title}” has been added. Now add its questions.")
    return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id))


def _render_consultation_form(form, consultation: Consultation | None, conflict=None, code=200):
    return render_template("staff/admin/consultation_form.html", form=form, consultation=consultation,
                           conflict=conflict), code


@bp.route("/admin/consultations/<id:consultation_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_consultation(consultation_id: int):
    """The consultation's details, and its questions with links to change or add them."""
    consultation = db.one_or_404(
        select(Consultation).where(Consultation.id == consultation_id).options(selectinload(Consultation.questions))
    )
    if request.method == "GET":
        return _render_consultation_form(EditConsultationForm(obj=consultation, version=consultation.version_id),
                                         consultation)
    form = EditConsultationForm()
    outcome = apply_edit(form, lambda: save_consultation(db.session, consultation, _consultation_values(form)),
                         lambda code, conflict: _render_consultation_form(form, consultation, conflict, code),
                         current=consultation, error_field=form.title)
    if outcome.refused:
        return outcome.page
    flash(f"The changes to the consultation “{consultation.title}” have been saved.")
    return redirect(url_for("admin.consultations"))


@bp.route("/admin/consultations/<id:consultation_id>/questions/new", methods=["GET", "POST"])
@role_required("admin")
def new_question(consultation_id: int):
    consultation = db.get_or_404(Consultation, consultation_id)
    form = QuestionForm()
    if request.method == "GET":
        return _render_question_form(form, consultation, None)
    outcome = apply_edit(form, lambda: save_question(db.session, consultation, None, form.data),
                         lambda code, conflict: _render_question_form(form, consultation, None, code=code),
                         error_field=form.text)
    if outcome.refused:
        return outcome.page
    flash(f"Question {outcome.result.number} has been added.")
    return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id))


def _render_question_form(form, consultation: Consultation, question: Question | None, conflict=None, code=200):
    return render_template("staff/admin/question_form.html", form=form, consultation=consultation,
                           question=question, conflict=conflict), code


@bp.route("/admin/consultations/<id:consultation_id>/questions/<id:question_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_question(consultation_id: int, question_id: int):
    question = db.get_or_404(Question, question_id)
    if question.consultation_id != consultation_id:
        abort(404)
    consultation = question.consultation
    if request.method == "GET":
        return _render_question_form(EditQuestionForm(obj=question, version=question.version_id), consultation,
                                     question)
    form = EditQuestionForm()
    outcome = apply_edit(form, lambda: save_question(db.session, consultation, question, form.data),
                         lambda code, conflict: _render_question_form(form, consultation, question, conflict, code),
                         current=question, error_field=form.text)
    if outcome.refused:
        return outcome.page
    flash(f"The changes to question {question.number} have been saved.")
    return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id))
