"""Staff upload of written responses: one or many files for one respondent, in one go.

Each file is read (its type sniffed from the content), stored and extracted on its own and
committed on its own, so one bad file never blocks or half-saves the others: a refused file
rolls back and leaves nothing behind, and uploading the same files again reports the ones
already in as "already ingested". The original bytes go in the ``document`` table keyed by
SHA-256, which is outside the web root and inside the same transaction as the response; a
separate file store would need its own clean-up when a transaction rolls back.

All the files of one upload are recorded as from the one respondent named on the form: a
respondent carries the publication consent, so guessing respondents from file names could
publish a text under the wrong name, and a response cannot be moved to another respondent.

No request may outlast the server's worker timeout, whatever is uploaded: each file is held to
the document limits (``document_limits``: characters, PDF pages, Word XML, seconds to read),
and an upload starts no further file once it has run ``UPLOAD_MAX_SECONDS``; the files left are
listed as not read yet, to be uploaded again.
"""
from __future__ import annotations

import datetime as dt
import time

from flask import Blueprint, current_app, render_template, request, url_for
from flask_wtf.file import MultipleFileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovTextInput
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from consultations import organisation_types
from consultations.ingest import (
    RESPONDENT_NAME_MAX,
    IngestError,
    ingest_document,
    sha256_hex,
)
from consultations.models import CONSENT_LEVELS, Consultation, Document, OrganisationType, Response
from consultations.published import CONSENT_HINTS
from consultations.readers import DocumentLimits, seconds

from tracker.limits import document_limits, max_file_bytes, max_files, megabytes
from tracker.web.roles import role_required
from tracker.db import db
from tracker.web.fields import ChoiceField, GovDateField
from tracker.web.forms import Form, error_list, options

bp = Blueprint("upload", __name__)

class UploadForm(Form):
    consultation = ChoiceField("Consultation", refusal="Choose a consultation from the list",
                               validators=[InputRequired("Choose the consultation the files respond to")])
    files = MultipleFileField(
        "Response files", widget=GovFileInput(multiple=True),
        description="Word (.docx), PDF, plain text (.txt), Markdown (.md), web page (.html) or email (.eml). "
                    "You can select several files.",
    )
    respondent = StringField(
        "Respondent", widget=GovTextInput(),
        description="The organisation or person who sent these files. Every file in this upload is recorded "
                    "as a response from them: upload each respondent's files separately.",
        validators=[DataRequired("Enter the respondent's name"),
                    Length(max=RESPONDENT_NAME_MAX,
                           message=f"The respondent's name must be {RESPONDENT_NAME_MAX} characters or fewer")],
    )
    organisation_type = ChoiceField(
        "Organisation type (optional)", refusal="Choose an organisation type from the list",
        description="Anonymous respondents are named in public by their type. Admins manage the list.",
    )
    consent = RadioField(
        "What may we publish from this respondent's responses?",
        choices=options(CONSENT_LEVELS.choices()),
        widget=GovRadioInput(),
        description="This is recorded for a new respondent. A respondent already on record keeps their "
                    "consent: change it on their consent page.",
        validators=[InputRequired("Choose what may be published")],
    )
    received_on = GovDateField(
        "Date received (optional)",
        description="For example, 12 4 2019. Leave it blank to use the date an email was sent, or today.",
    )

    def validate_files(self, field):
        chosen = chosen_files(field.data)
        if not chosen:
            raise ValidationError("Select at least one file to upload")
        if len(chosen) > max_files():
            raise ValidationError(f"Select {max_files()} files or fewer at a time (you selected {len(chosen)})")

    def validate_received_on(self, field):
        if field.data and field.data > dt.date.today():
            raise ValidationError("Date received must be today or in the past")


def chosen_files(data) -> list:
    """The files actually chosen: a browser sends an empty part when none is."""
    return [item for item in data or [] if getattr(item, "filename", "")]


def safe_name(client_name: str, data: bytes) -> str:
    """A display and storage name that cannot be a path; never the client's string as given."""
    basename = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]  # some browsers send the full path
    name = secure_filename(basename)
    stem, _, extension = name.rpartition(".")
    if not name or not stem:  # e.g. a name entirely in non-Latin letters
        name = f"response-{sha256_hex(data)[:8]}" + (f".{extension or name}" if name else "")
    return name


def _form() -> UploadForm:
    """The form with every consultation to choose from; on GET, the one named by
    ``?consultation=`` (a slug, or an id as the triage queue's filter has it) is chosen."""
    form = UploadForm()
    consultations = db.session.execute(
        select(Consultation.slug, Consultation.title, Consultation.id).order_by(Consultation.title)
    ).all()
    form.consultation.choices = options([("", "Choose a consultation"), *((c.slug, c.title) for c in consultations)])
    form.organisation_type.choices = options([("", "Not recorded"), *(
        (t.id, t.name) for t in organisation_types.choices(db.session))])
    preset = request.args.get("consultation", "") if request.method == "GET" else ""
    for consultation in consultations:
        if preset in (consultation.slug, str(consultation.id)):
            form.consultation.data = consultation.slug
    return form


@bp.route("/responses/upload", methods=["GET", "POST"])
@role_required("policy")
def upload():
    """The upload form; on a valid submission each file is ingested on its own and the
    result page says, for every file, what became of it."""
    form = _form()
    if request.method == "GET":
        return _render_form(form)
    if not form.validate_on_submit():
        return _render_form(form, 400)

    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == form.consultation.data))
    outcomes = _ingest_all(chosen_files(form.files.data), form, consultation)
    counts = {kind: sum(1 for outcome in outcomes if outcome["kind"] == kind)
              for kind in ("ingested", "already", "refused", "left")}
    status = 400 if counts["refused"] == len(outcomes) else 200
    return render_template("staff/upload/results.html", consultation=consultation, outcomes=outcomes, counts=counts,
                           respondent=form.respondent.data.strip()), status


def _render_form(form: UploadForm, status: int = 200):
    return render_template("staff/upload/upload.html", form=form, errors=error_list(form),
                           consent_items=[{"value": level, "text": CONSENT_LEVELS.label(level), "hint": {"text": hint}}
                                          for level, hint in CONSENT_HINTS.items()],
                           max_file=megabytes(max_file_bytes()), max_request=megabytes(_max_request()),
                           max_files=max_files()), status


def _max_request() -> int:
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)


def _ingest_all(files: list, form: UploadForm, consultation: Consultation) -> list[dict]:
    """Each file ingested on its own, until the upload has run ``UPLOAD_MAX_SECONDS``: the files
    after that are left for another upload, so that no request outlasts the worker timeout."""
    started, budget, limits = time.monotonic(), float(current_app.config.get("UPLOAD_MAX_SECONDS") or 0), document_limits()
    outcomes = []
    for storage in files:
        if outcomes and budget and time.monotonic() - started > budget:
            name = safe_name(storage.filename, storage.stream.read(max_file_bytes() + 1))
            outcomes.append({"name": name, "kind": "left", "warnings": [], "after": seconds(budget)})
        else:
            outcomes.append(_ingest_one(storage, form, consultation, limits))
    return outcomes


def _ingest_one(storage, form: UploadForm, consultation: Consultation, limits: DocumentLimits) -> dict:
    """Ingest one uploaded file and commit it, or roll back and say why it was refused."""
    limit = max_file_bytes()
    data = storage.stream.read(limit + 1)
    name = safe_name(storage.filename, data)
    outcome = {"name": name, "warnings": []}
    if len(data) > limit:
        return {**outcome, "kind": "refused",
                "reason": f"{name} is larger than {megabytes(limit)}, the most one file may be. "
                          "Ask the respondent for a smaller version (for example, a PDF without large images)."}
    try:
        result = ingest_document(
            db.session,
            consultation_slug=consultation.slug,
            filename=name,
            data=data,
            respondent_name=form.respondent.data,
            organisation_type=(db.session.get(OrganisationType, int(form.organisation_type.data))
                               if form.organisation_type.data else None),
            consent=form.consent.data,
            received_on=form.received_on.data,
            default_received_on=dt.date.today(),
            limits=limits,
        )
        if result.created:
            db.session.commit()
    except IngestError as error:
        db.session.rollback()
        return {**outcome, "kind": "refused", "reason": str(error)}
    except IntegrityError:
        # The same file was uploaded by someone else at the same moment and their commit won.
        db.session.rollback()
        existing = _existing_response(consultation, data)
        if existing is None:
            raise
        return {**outcome, "kind": "already", "response": existing}
    except BaseException:
        db.session.rollback()
        raise
    if not result.created:
        return {**outcome, "kind": "already", "response": result.response}
    return {**outcome, "kind": "ingested", "response": result.response,
            "recommendations": result.recommendations, "links": result.links, "warnings": result.warnings,
            "placeholders_linked": result.placeholders_linked}


def _existing_response(consultation: Consultation, data: bytes) -> Response | None:
    return db.session.scalar(
        select(Response).join(Document, Response.document_id == Document.id)
        .where(Response.consultation_id == consultation.id, Document.sha256 == sha256_hex(data))
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A request over ``MAX_CONTENT_LENGTH`` is refused before anything is read, so nothing is
    known about the files and nothing from the database is shown: only the limits and what to do."""
    return render_template(
        "staff/upload/too_large.html",
        sent=megabytes(request.content_length) if request.content_length else None,
        max_request=megabytes(_max_request()), max_file=megabytes(max_file_bytes()),
        back=url_for("upload.upload"),
    ), 413
