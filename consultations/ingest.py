"""Store a written response: the original, its cleaned text, and its recommendations.

``ingest_document`` only adds to the session and flushes; the caller commits, or rolls
back on any error so a failed ingestion leaves the database exactly as it was.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import organisation_types
from .cleaning import clean_text
from .frameworks import current_items
from .models import (
    CONSENT_LEVELS,
    Consultation,
    Document,
    FrameworkItem,
    Link,
    OrganisationType,
    Question,
    Recommendation,
    Respondent,
    Response,
)
from .readers import DEFAULT_LIMITS, MEDIA_TYPE_EXTENSIONS, DocumentLimits, ReadError, read_document
from .references import ReferenceResolver
from .soft_delete import WITH_DELETED
from .survey_import import link_placeholders

if TYPE_CHECKING:
    from .extract import ExtractedRecommendation


RESPONDENT_NAME_MAX = 300  # Respondent.name
ORGANISATION_TYPE_MAX = 100  # OrganisationType.name


class IngestError(ValueError):
    """The response cannot be ingested; the message says why and what to do."""


@dataclass
class IngestResult:
    response: Response
    created: bool
    recommendations: int = 0
    links: int = 0
    warnings: list[str] = field(default_factory=list)
    placeholders_linked: int = 0  # survey answers ("See written response") now pointing here


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_consultation(session: Session, slug: str) -> Consultation:
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        known = session.scalars(select(Consultation.slug).order_by(Consultation.slug)).all()
        hint = f" Known consultations: {', '.join(known)}." if known else " No consultations exist yet."
        raise IngestError(f"There is no consultation '{slug}'.{hint}")
    return consultation


def ingest_document(
    session: Session,
    *,
    consultation_slug: str,
    filename: str,
    data: bytes,
    respondent_name: str,
    organisation_type: OrganisationType | str | None = None,
    consent: str | None = None,
    received_on: dt.date | None = None,
    framework_items: list[FrameworkItem] | None = None,
    default_received_on: dt.date | None = None,
    limits: DocumentLimits = DEFAULT_LIMITS,
) -> IngestResult:
    """Ingest one written response. The same file twice for a consultation creates nothing.

    The received date is ``received_on``, else the date an email says it was sent, else
    ``default_received_on``. A file that would expand beyond ``limits`` is refused."""
    respondent_name = " ".join((respondent_name or "").split())
    if not respondent_name:
        raise IngestError("The respondent's name is missing. Give the organisation or person's name.")
    if len(respondent_name) > RESPONDENT_NAME_MAX:
        raise IngestError(f"The respondent's name must be {RESPONDENT_NAME_MAX} characters or fewer.")
    if isinstance(organisation_type, str):
        organisation_type = " ".join(organisation_type.split()) or None
    if isinstance(organisation_type, str) and len(organisation_type) > ORGANISATION_TYPE_MAX:
        raise IngestError(f"The organisation type must be {ORGANISATION_TYPE_MAX} characters or fewer.")
    if consent is not None and consent not in CONSENT_LEVELS:
        raise IngestError(f"Consent must be one of {', '.join(CONSENT_LEVELS)}, not '{consent}'.")
    consultation = find_consultation(session, consultation_slug)

    digest = sha256_hex(data)
    existing = session.scalar(
        select(Response)
        .join(Document, Response.document_id == Document.id)
        .where(Response.consultation_id == consultation.id, Document.sha256 == digest),
        execution_options=WITH_DELETED,  # a deleted copy is restored, not uploaded again
    )
    if existing is not None:
        return IngestResult(response=existing, created=False)

    try:
        document_text = read_document(filename, data, limits=limits)
    except ReadError as error:
        raise IngestError(str(error)) from None
    text = clean_text(document_text.text)
    if not text.strip():
        raise IngestError(f"{filename} has no text left once page numbers and headers are removed.")

    if framework_items is None:
        framework_items = current_items(session)
    from .extract import extract_recommendations  # compiles the extraction patterns: see consultations.extract

    extracted = extract_recommendations(
        text, resolver=ReferenceResolver(framework_items), self_names=[respondent_name]
    )

    warnings: list[str] = list(document_text.warnings)
    received_on = received_on or document_text.sent_on or default_received_on
    respondent = _find_or_create_respondent(
        session, respondent_name, organisation_type, consent, warnings
    )
    document = session.scalar(select(Document).where(Document.sha256 == digest)) or Document(
        sha256=digest,
        filename=stored_filename(filename, document_text.media_type),
        media_type=document_text.media_type,
        size=len(data),
        content=data,
    )
    response = Response(
        consultation=consultation,
        respondent=respondent,
        document=document,
        channel="document",
        received_on=received_on,
        text=text,
    )
    session.add(response)
    links = _add_recommendations(session, response, extracted, list(consultation.questions))
    session.flush()
    linked = link_placeholders(session, consultation.id, respondent.id)
    return IngestResult(
        response=response, created=True, recommendations=len(extracted), links=links, warnings=warnings,
        placeholders_linked=linked,
    )


FILENAME_MAX = 300  # Document.filename


def stored_filename(filename: str, media_type: str) -> str:
    """The name the original is kept and downloaded under: the given name, with the extension of
    its real type added when the name claims another (``response.txt`` that is a PDF becomes
    ``response.txt.pdf``, so it opens in the right program), shortened to fit the column."""
    name = " ".join((filename or "").split()) or "response"
    extensions = MEDIA_TYPE_EXTENSIONS.get(media_type, ())
    if media_type == "text/plain":
        extensions = (*extensions, ".md", ".markdown", ".csv")
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        keep = dot + extension if dot and len(extension) <= 10 else ""
        name = name[: FILENAME_MAX - len(keep)] + keep
    return name


def _find_or_create_respondent(session, name, organisation_type, consent, warnings) -> Respondent:
    organisation_type = _organisation_type(session, organisation_type, warnings)
    respondent = session.scalar(
        select(Respondent).where(func.lower(Respondent.name) == name.lower()).order_by(Respondent.id)
    )
    if respondent is None:
        respondent = Respondent(
            name=name, organisation_type=organisation_type, consent=consent or "anonymous"
        )
        session.add(respondent)
        return respondent
    if organisation_type and not respondent.organisation_type:
        respondent.organisation_type = organisation_type
    if consent and consent != respondent.consent:
        warnings.append(
            f"{respondent.name} already exists with publication consent '{respondent.consent}'; "
            f"it was not changed to '{consent}'. Change consent on the respondent's record."
        )
    return respondent


def _organisation_type(session, value, warnings) -> OrganisationType | None:
    """A chosen type as it is; text mapped onto the controlled list, a new type said as a warning."""
    if value is None or isinstance(value, OrganisationType):
        return value
    found, added = organisation_types.match_or_add(session, value)
    if added:
        warnings.append(f"The organisation type ‘{found.name}’ was not in the list, so it has been added. "
                        "An admin can rename it or stop offering it.")
    return found


def _add_recommendations(
    session: Session,
    response: Response,
    extracted: list[ExtractedRecommendation],
    questions: list[Question],
) -> int:
    by_key: dict[str, Recommendation] = {}
    links = 0
    for sequence, found in enumerate(extracted, start=1):
        recommendation = Recommendation(
            response=response,
            key=found.key,
            sequence=sequence,
            text=found.text,
            spans=[list(span) for span in found.spans],
            unresolved_references=list(found.unresolved_references),
            parent=by_key.get(found.parent) if found.parent else None,
            question=match_question(found.heading, questions),
            origin="extracted",
        )
        session.add(recommendation)
        by_key[found.key] = recommendation
        for item in found.items:
            session.add(
                Link(
                    recommendation=recommendation,
                    item=item,
                    origin="explicit",
                    status="confirmed",
                    evidence=found.evidence.get(id(item)),
                )
            )
            links += 1
    return links


QUESTION_MATCH = 0.6


def match_question(heading: str | None, questions: list[Question]) -> Question | None:
    """The consultation question a heading repeats or names, if one matches well enough."""
    if not heading or not questions:
        return None
    from .extract import content_words  # compiles the extraction patterns: see consultations.extract

    heading_words = content_words(heading)
    if not heading_words:
        return None
    best, best_score = None, 0.0
    for question in questions:
        for candidate in (question.text, question.topic or ""):
            words = content_words(candidate)
            if not words:
                continue
            score = len(heading_words & words) / min(len(heading_words), len(words))
            if score > best_score:
                best, best_score = question, score
    return best if best_score >= QUESTION_MATCH else None
