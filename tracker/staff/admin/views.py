"""Admin pages: staff users and their roles, consultations and their questions, framework uploads.

Every route, reading ones included, is for the ``admin`` role: the pages show staff details.
Views are thin: a form checks what was typed, a service function below (or in
``consultations.users``) checks the rules that need the database and flushes, and only the view
commits, or rolls back and shows the refusal next to its field with HTTP 400.

Users, consultations and questions have no ``version_id`` column, so an edit form remembers
the newest audit event of its object instead: every change to them is in the audit log, so an
event newer than the one the form was loaded with means someone else saved meanwhile.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.utils import secure_filename
from wtforms import EmailField, IntegerField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from consultations.consultation_import import check_consultation
from consultations.frameworks import FrameworkFileError, ImportReport, import_framework, load_framework_file
from consultations.models import CONSULTATION_STATUSES, Consultation, Framework, FrameworkItem, Question, Response

from consultations import user_sessions as sessions
from tracker.auth import throttle
from consultations.audit import entity_name
from consultations.users import MIN_PASSWORD_LENGTH
from tracker.web.roles import role_required
from tracker.auth.sign_in import session_limits, throttle_rules
from tracker.db import db
from tracker.web.editing import StaleEdit
from tracker.web.fields import GovDateField
from tracker.web.forms import Form
from consultations.workflow import ROLES, AuditEvent, User
from consultations.users import ROLE_DESCRIPTIONS, UserFieldError, add_user, set_password, update_user

bp = Blueprint("admin", __name__)

MAX_FRAMEWORK_FILE_BYTES = 2 * 1024 * 1024
FRAMEWORK_SUFFIXES = (".yaml", ".yml", ".csv")


# ---------------------------------------------------------------------------
# Stale edits for objects without a version column: the audit log is the version
# ---------------------------------------------------------------------------


def _edits_of(obj):
    """Audit events that change ``obj`` (signing in and out are recorded on a user, but edit nothing)."""
    return (AuditEvent.entity_type == entity_name(obj), AuditEvent.entity_id == obj.id,
            AuditEvent.field.not_in(sessions.SIGN_IN_EVENTS))


def latest_event_id(session: Session, obj) -> int:
    """The id of the newest audit event of ``obj`` (0 if none): what an edit form remembers."""
    return session.scalar(select(func.max(AuditEvent.id)).where(*_edits_of(obj))) or 0


def ensure_unchanged_since(session: Session, obj, seen_event_id: int | None) -> None:
    """Raise ``StaleEdit`` listing what changed if ``obj`` has audit events newer than the form's."""
    changes = session.scalars(
        select(AuditEvent)
        .where(*_edits_of(obj), AuditEvent.id > (seen_event_id or 0))
        .options(selectinload(AuditEvent.user))
        .order_by(AuditEvent.id)
    ).all()
    if changes:
        raise StaleEdit(obj, changes)


# ---------------------------------------------------------------------------
# Consultations and questions (plain functions: check, change, flush; never commit)
# ---------------------------------------------------------------------------


class FieldErrors(ValueError):
    """Refusals keyed by form field name, each message saying what to change."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


CONSULTATION_FIELDS = ("slug", "title", "body", "summary", "status", "opens_on", "closes_on")


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


class UploadRefused(ValueError):
    """The upload is not a framework file this page takes (wrong type, too big); nothing was read."""


def import_uploaded_framework(session: Session, upload, **header: str | None) -> ImportReport:
    """Check and import an uploaded YAML or CSV framework file; flush, never commit.

    The loader reads a path, so the upload is written to a temporary folder under its own
    (made safe) name: a CSV file's key defaults to its file name. Raises ``UploadRefused``, or
    ``FrameworkFileError`` listing every problem in the file, with nothing written.
    """
    filename = upload.filename or ""
    suffix = Path(filename).suffix.lower()
    if suffix not in FRAMEWORK_SUFFIXES:
        raise UploadRefused("The selected file must be a YAML (.yaml or .yml) or CSV (.csv) file")
    data = upload.stream.read(MAX_FRAMEWORK_FILE_BYTES + 1)
    if len(data) > MAX_FRAMEWORK_FILE_BYTES:
        raise UploadRefused("The selected file must be smaller than 2 MB")
    safe_name = secure_filename(filename)
    if Path(safe_name).suffix.lower() != suffix or not Path(safe_name).stem:
        safe_name = "framework" + suffix
    with tempfile.TemporaryDirectory(prefix="framework-upload-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        spec = load_framework_file(path, **{k: (v or "").strip() or None for k, v in header.items()})
    return import_framework(session, spec)


def describe_import(report: ImportReport) -> str:
    framework = report.framework
    return (
        f"Imported {framework.name} ({framework.key} version {framework.version}, {framework.kind}): "
        f"{report.items} items — {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.retired} retired."
    )


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------


class SeenEventField(IntegerField):
    """Hidden: the newest audit event of the object when the form was loaded (see module doc)."""

    widget = HiddenInput()

    def __init__(self, **kwargs):
        super().__init__(validators=[Optional()], **kwargs)


ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]
ACTIVE_CHOICES = [SelectChoice("yes", "Active: can sign in"), SelectChoice("no", "Deactivated: cannot sign in")]
STATUS_CHOICES = [SelectChoice(status, label) for status, label in CONSULTATION_STATUSES.choices()]


PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a good password."


def _password_validators():
    return [DataRequired("Enter a password"), Length(
        min=MIN_PASSWORD_LENGTH, message=f"The password must be at least {MIN_PASSWORD_LENGTH} characters long")]


def _name_field():
    return StringField("Full name", widget=GovTextInput(), validators=[
        DataRequired("Enter the person's name"), Length(max=200, message="The name must be 200 characters or fewer")])


def _role_field():
    return RadioField("Role", choices=ROLE_CHOICES, widget=GovRadioInput(), validate_choice=False,
                      validators=[AnyOf(ROLES, message="Select a role")])


class NewUserForm(Form):
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        DataRequired("Enter the email address"), Length(max=254, message="The email address must be 254 characters or fewer")])
    name = _name_field()
    role = _role_field()
    password = PasswordField("Password", widget=GovPasswordInput(), description=PASSWORD_HINT,
                             validators=_password_validators())
    confirm_password = PasswordField("Confirm the password", widget=GovPasswordInput(), validators=[
        DataRequired("Enter the password again"), EqualTo("password", "The passwords do not match")])


class EditUserForm(Form):
    name = _name_field()
    role = _role_field()
    active = RadioField("Can they sign in?", choices=ACTIVE_CHOICES, widget=GovRadioInput(), validate_choice=False,
                        validators=[AnyOf(["yes", "no"], message="Select whether the person can sign in")])
    seen_event = SeenEventField()


class ResetPasswordForm(Form):
    password = PasswordField("New password", widget=GovPasswordInput(), description=PASSWORD_HINT,
                             validators=_password_validators())
    confirm_password = PasswordField("Confirm the new password", widget=GovPasswordInput(), validators=[
        DataRequired("Enter the new password again"), EqualTo("password", "The passwords do not match")])


class ConsultationForm(Form):
    slug = StringField("Slug", widget=GovTextInput(), description=(
        "The short name used in web addresses and by the ingest command: lower-case words joined by "
        "hyphens, for example probation-inspection-2019"),
        validators=[DataRequired("Enter a slug"), Length(max=120, message="The slug must be 120 characters or fewer")])
    title = StringField("Title", widget=GovTextInput(), validators=[
        DataRequired("Enter the title"), Length(max=300, message="The title must be 300 characters or fewer")])
    body = StringField("Organisation consulting", widget=GovTextInput(),
                       description="For example, HM Inspectorate of Probation",
                       validators=[DataRequired("Enter the organisation consulting"),
                                   Length(max=300, message="The organisation must be 300 characters or fewer")])
    summary = TextAreaField("Summary (optional)", widget=GovTextArea(), description="What the consultation asks about",
                            validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES, widget=GovSelect(),
                         validate_choice=False, default="draft")
    opens_on = GovDateField("Opening date (optional)", description="For example, 25 3 2019")
    closes_on = GovDateField("Closing date (optional)", description="For example, 22 4 2019")


class EditConsultationForm(ConsultationForm):
    seen_event = SeenEventField()


class QuestionForm(Form):
    number = StringField("Question number", widget=GovTextInput(), description="For example, 4 or 2a",
                         validators=[DataRequired("Enter the question number"),
                                     Length(max=20, message="The question number must be 20 characters or fewer")])
    text = TextAreaField("Question", widget=GovTextArea(), validators=[DataRequired("Enter the question")])
    topic = StringField("Topic (optional)", widget=GovTextInput(), description="For example, Unpaid work",
                        validators=[Optional(), Length(max=200, message="The topic must be 200 characters or fewer")])
    position = IntegerField("Position in the list (optional)", widget=GovTextInput(),
                            description="Questions are listed lowest position first. Leave blank to add a new question "
                                        "at the end, or to keep a question where it is.",
                            invalid_value_message="Position must be a whole number, like 3",
                            validators=[Optional(), NumberRange(min=0, message="Position must be 0 or more")])


class EditQuestionForm(QuestionForm):
    seen_event = SeenEventField()


class FrameworkUploadForm(Form):
    file = FileField("Framework file", widget=GovFileInput(),
                     description="A YAML (.yaml or .yml) or CSV (.csv) file, smaller than 2 MB",
                     validators=[FileRequired("Select a framework file")])
    key = StringField("Key (optional)", widget=GovTextInput(), description=(
        "Identifies the framework, with its version. Leave blank to use the key in a YAML file, "
        "or the file name for a CSV file"), validators=[Optional()])
    name = StringField("Name (optional)", widget=GovTextInput(),
                       description="Leave blank to use the name in a YAML file, or the key for a CSV file",
                       validators=[Optional()])
    version = StringField("Version (optional)", widget=GovTextInput(),
                          description="Leave blank to use the version in a YAML file, or 1 for a CSV file",
                          validators=[Optional()])
    kind = StringField("Kind (optional)", widget=GovTextInput(), description=(
        "For example, standards, strategic objectives or themes. Leave blank to use the kind in a "
        "YAML file, or standards for a CSV file"), validators=[Optional()])


def _remember_latest_event(form, obj) -> None:
    """After a stale edit, the form carries the current state, so the next save (made knowingly) goes through."""
    form.seen_event.raw_data = None  # otherwise the hidden input shows the submitted value again
    form.seen_event.data = latest_event_id(db.session, obj)


def _add_errors(form, errors: dict[str, str]) -> None:
    for field, message in errors.items():
        form[field].errors = [*form[field].errors, message]


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@bp.route("/admin/")
@role_required("admin")
def home():
    """Where admins start: users, consultations and frameworks, with how many there are."""
    counts = {
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
        "consultations": db.session.scalar(select(func.count()).select_from(Consultation)),
        "frameworks": db.session.scalar(select(func.count()).select_from(Framework)),
    }
    return render_template("staff/admin/home.html", counts=counts)


# --- users -------------------------------------------------------------------


@bp.route("/admin/users")
@role_required("admin")
def users():
    """Every user (active ones first), in one query."""
    rows = db.session.scalars(select(User).order_by(User.active.desc(), func.lower(User.email))).all()
    return render_template("staff/admin/users.html", users=rows)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = add_user(db.session, email=form.email.data, name=form.name.data, role=form.role.data,
                            password=form.password.data)
            db.session.commit()
        except UserFieldError as error:
            db.session.rollback()
            _add_errors(form, {error.field: str(error)})
        else:
            flash(f"{user.name} ({user.email}) has been added with the role {user.role}.")
            return redirect(url_for("admin.users"))
    return render_template("staff/admin/new_user.html", form=form, role_descriptions=ROLE_DESCRIPTIONS), \
        400 if form.errors else 200


def _edit_user_form(user: User) -> EditUserForm:
    return EditUserForm(data={"name": user.name, "role": user.role, "active": "yes" if user.active else "no",
                              "seen_event": latest_event_id(db.session, user)})


def _render_edit_user(user: User, form: EditUserForm, reset_form: ResetPasswordForm, conflict=None):
    status = 409 if conflict else 400 if (form.errors or reset_form.errors) else 200
    return render_template("staff/admin/edit_user.html", user=user, form=form, reset_form=reset_form,
                           conflict=conflict, role_descriptions=ROLE_DESCRIPTIONS,
                           live_sessions=sessions.live_sessions(db.session, user, session_limits()),
                           lock=throttle.account_lock(db.session, throttle.account_key(user.email), throttle_rules())
                           ), status


@bp.route("/admin/users/<id:user_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int):
    """Name, role and whether they can sign in; an admin cannot lock themselves out."""
    user = db.get_or_404(User, user_id)
    form = EditUserForm() if request.method == "POST" else _edit_user_form(user)
    conflict = None
    if form.validate_on_submit():
        try:
            ensure_unchanged_since(db.session, user, form.seen_event.data)
            update_user(db.session, user, name=form.name.data, role=form.role.data,
                        active=form.active.data == "yes", acting_user=g.user)
            db.session.commit()
        except StaleEdit as stale:
            conflict = stale
            _remember_latest_event(form, user)
        except UserFieldError as error:
            db.session.rollback()
            _add_errors(form, {error.field: str(error)})
        else:
            flash(f"The changes to {user.name} ({user.email}) have been saved.")
            return redirect(url_for("admin.users"))
    return _render_edit_user(user, form, ResetPasswordForm(prefix="reset"), conflict)


@bp.route("/admin/users/<id:user_id>/password", methods=["POST"])
@role_required("admin")
def reset_password(user_id: int):
    """Give a user a new password (for example when they have forgotten theirs)."""
    user = db.get_or_404(User, user_id)
    reset_form = ResetPasswordForm(prefix="reset")
    if reset_form.validate_on_submit():
        try:
            # Resetting one's own password keeps this session and ends the others.
            set_password(db.session, user, reset_form.password.data,
                         keep=g.user_session if user.id == g.user.id else None, actor=g.user)
            db.session.commit()
        except UserFieldError as error:
            db.session.rollback()
            _add_errors(reset_form, {error.field: str(error)})
        else:
            flash(f"The password of {user.name} ({user.email}) has been reset. Give them the new password in a secure way.")
            return redirect(url_for("admin.users"))
    return _render_edit_user(user, _edit_user_form(user), reset_form)


@bp.route("/admin/users/<id:user_id>/sessions/end", methods=["POST"])
@role_required("admin")
def end_user_sessions(user_id: int):
    """Sign a user out everywhere (an admin doing it to themselves keeps this session)."""
    user = db.get_or_404(User, user_id)
    count = sessions.end_sessions(db.session, user, sessions.BY_ADMIN, actor=g.user,
                                  keep=g.user_session if user.id == g.user.id else None)
    db.session.commit()
    flash(f"{user.name} ({user.email}) has been signed out of {count} session{'s' if count != 1 else ''}.")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/admin/users/<id:user_id>/unlock", methods=["POST"])
@role_required("admin")
def unlock_user(user_id: int):
    """Let a user whose account was locked by failed sign-ins try again at once."""
    user = db.get_or_404(User, user_id)
    if throttle.clear_account(db.session, throttle.account_key(user.email)):
        sessions.record_event(db.session, user.id, "account unlocked", "by an admin", actor_id=g.user.id)
    db.session.commit()
    flash(f"The account of {user.name} ({user.email}) has been unlocked. They can sign in again now.")
    return redirect(url_for("admin.edit_user", user_id=user.id))


# --- consultations and questions ---------------------------------------------


@bp.route("/admin/consultations")
@role_required("admin")
def consultations():
    """Every consultation with its question and response counts (one query)."""
    questions = (
        select(Question.consultation_id, func.count().label("n")).group_by(Question.consultation_id).subquery()
    )
    responses = (
        select(Response.consultation_id, func.count().label("n"))
        .where(Response.deleted_at.is_(None))
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
    if form.validate_on_submit():
        try:
            consultation = save_consultation(db.session, None, _consultation_values(form))
            db.session.commit()
        except FieldErrors as error:
            db.session.rollback()
            _add_errors(form, error.errors)
        else:
            flash(f"The consultation “{consultation.title}” has been added. Now add its questions.")
            return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id))
    return render_template("staff/admin/consultation_form.html", form=form, consultation=None), \
        400 if form.errors else 200


@bp.route("/admin/consultations/<id:consultation_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_consultation(consultation_id: int):
    """The consultation's details, and its questions with links to change or add them."""
    consultation = db.one_or_404(
        select(Consultation).where(Consultation.id == consultation_id).options(selectinload(Consultation.questions))
    )
    if request.method == "POST":
        form = EditConsultationForm()
    else:
        form = EditConsultationForm(obj=consultation, seen_event=latest_event_id(db.session, consultation))
    conflict = None
    if form.validate_on_submit():
        try:
            ensure_unchanged_since(db.session, consultation, form.seen_event.data)
            save_consultation(db.session, consultation, _consultation_values(form))
            db.session.commit()
        except StaleEdit as stale:
            conflict = stale
            _remember_latest_event(form, consultation)
        except FieldErrors as error:
            db.session.rollback()
            _add_errors(form, error.errors)
        else:
            flash(f"The changes to the consultation “{consultation.title}” have been saved.")
            return redirect(url_for("admin.consultations"))
    status = 409 if conflict else 400 if form.errors else 200
    return render_template("staff/admin/consultation_form.html", form=form, consultation=consultation,
                           conflict=conflict), status


@bp.route("/admin/consultations/<id:consultation_id>/questions/new", methods=["GET", "POST"])
@role_required("admin")
def new_question(consultation_id: int):
    consultation = db.get_or_404(Consultation, consultation_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            question = save_question(db.session, consultation, None, form.data)
            db.session.commit()
        except FieldErrors as error:
            db.session.rollback()
            _add_errors(form, error.errors)
        else:
            flash(f"Question {question.number} has been added.")
            return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id))
    return render_template("staff/admin/question_form.html", form=form, consultation=consultation, question=None), \
        400 if form.errors else 200


@bp.route("/admin/consultations/<id:consultation_id>/questions/<id:question_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_question(consultation_id: int, question_id: int):
    question = db.get_or_404(Question, question_id)
    if question.consultation_id != consultation_id:
        abort(404)
    consultation = question.consultation
    if request.method == "POST":
        form = EditQuestionForm()
    else:
        form = EditQuestionForm(obj=question, seen_event=latest_event_id(db.session, question))
    conflict = None
    if form.validate_on_submit():
        try:
            ensure_unchanged_since(db.session, question, form.seen_event.data)
            save_question(db.session, consultation, question, form.data)
            db.session.commit()
        except StaleEdit as stale:
            conflict = stale
            _remember_latest_event(form, question)
        except FieldErrors as error:
            db.session.rollback()
            _add_errors(form, error.errors)
        else:
            flash(f"The changes to question {question.number} have been saved.")
            return redirect(url_for("admin.edit_consultation", consultation_id=consultation.id))
    status = 409 if conflict else 400 if form.errors else 200
    return render_template("staff/admin/question_form.html", form=form, consultation=consultation, question=question,
                           conflict=conflict), status


# --- frameworks --------------------------------------------------------------


def _framework_rows():
    """Frameworks with current and retired item counts (one query)."""
    items = (
        select(FrameworkItem.framework_id, func.count().label("n"),
               func.count(FrameworkItem.retired_at).label("retired"))
        .group_by(FrameworkItem.framework_id)
        .subquery()
    )
    return db.session.execute(
        select(Framework, func.coalesce(items.c.n, 0), func.coalesce(items.c.retired, 0))
        .outerjoin(items, items.c.framework_id == Framework.id)
        .order_by(Framework.key, Framework.version)
    ).all()


@bp.route("/admin/frameworks", methods=["GET", "POST"])
@role_required("admin")
def frameworks():
    """Imported frameworks, and a form to upload a new one or a corrected file."""
    form = FrameworkUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            report = import_uploaded_framework(db.session, form.file.data, key=form.key.data, name=form.name.data,
                                               version=form.version.data, kind=form.kind.data)
            db.session.commit()
        except UploadRefused as error:
            form.file.errors = [str(error)]
        except FrameworkFileError as error:
            db.session.rollback()
            problems = error.problems
            form.file.errors = [problems[0] if len(problems) == 1 else
                                f"The file has {len(problems)} problems, listed at the top of the page"]
        else:
            flash(describe_import(report))
            return redirect(url_for("admin.frameworks"))
    return render_template("staff/admin/frameworks.html", form=form, rows=_framework_rows(), problems=problems,
                           filename=form.file.data.filename if form.file.data else None), \
        400 if form.errors else 200
