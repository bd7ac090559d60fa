"""Importing the rows: one response per respondent, one section per answer, recommendations
extracted from free-text answers and linked to their question."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..bulk import (
    ImportReport,
    Row,
    RowError,
    check_length,
    normalise,
    parse_date,
    row_key,
)
from ..models import Consultation, Link, Recommendation, Respondent, Response, ResponseSection
from ..organisation_types import ImportMatcher
from ..soft_delete import WITH_DELETED
from ..references import ReferenceResolver
from .consent import INDIVIDUAL, _ANONYMOUS, consent_for, is_placeholder
from .mapping import CHANNEL, ColumnMap, Mapping
from .placeholders import _placeholder_note, written_response_of


# --- rows -----------------------------------------------------------------------------


@dataclass
class SurveyRow:
    number: int
    external_id: str
    received_on: object
    respondent_name: str
    organisation: str
    organisation_type: str | None
    consent: str
    contact: str | None
    attachment: str | None
    attributes: dict
    answers: list[tuple[ColumnMap, str]] = field(default_factory=list)


class SurveyImporter:
    """Turns rows into responses in one consultation. ``prepare`` checks a row without
    touching the database; ``store`` adds it to the session (the caller flushes/commits)."""

    kind = "survey"

    def __init__(self, session: Session, consultation: Consultation, mapping: Mapping,
                 resolver: ReferenceResolver, report: ImportReport, import_run_id: int | None = None):
        self.session = session
        self.consultation = consultation
        self.mapping = mapping
        self.resolver = resolver
        self.report = report
        self.organisation_type = ImportMatcher(session, report)
        self.import_run_id = import_run_id
        self.questions = {q.number: q for q in consultation.questions}
        self.reference = mapping.of("reference")
        self.existing = set(session.scalars(
            select(Response.external_id).where(Response.consultation_id == consultation.id,
                                               Response.external_id.is_not(None)),
            execution_options=WITH_DELETED))  # a deleted response's id stays taken
        self.seen: dict[str, int] = {}  # external id -> row number, within this run
        self.respondents: dict[str, Respondent] = {}
        self.pending_sections: list[tuple[Response, list[dict]]] = []
        self.unrecognised_privacy: dict[str, int] = {}

    def reset(self) -> None:
        """Forget cached objects after a rollback (they may no longer exist)."""
        self.respondents.clear()
        self.pending_sections = []
        self.existing = set(self.session.scalars(
            select(Response.external_id).where(Response.consultation_id == self.consultation.id,
                                               Response.external_id.is_not(None)),
            execution_options=WITH_DELETED))

    def release(self) -> None:
        """After a commit: drop the collections cached objects grew, so memory stays flat."""
        for obj in (self.consultation, *self.respondents.values()):
            self.session.expire(obj, ["responses"])

    def _value(self, row: list[str], name: str) -> str:
        column = self.mapping.of(name)
        return row[column.column - 1] if column else ""

    def prepare(self, row: Row) -> SurveyRow:
        """What the row will store; RowError when it is wrong."""
        values = row.values
        if self.reference is not None:
            external_id = values[self.reference.column - 1]
            if not external_id:
                raise RowError(f"{self.reference.header} is empty; every row needs its reference")
            check_length(external_id, 200, self.reference.header)
            occurrence_key = external_id
        else:
            occurrence_key = "row:" + row_key(*values)
            external_id = occurrence_key
        if external_id in self.seen:
            raise RowError(f"{self.reference.header if self.reference else 'the same answers'} "
                           f"'{external_id}' also appears in row {self.seen[external_id]}; each respondent once")
        date_column = self.mapping.of("date")
        received_on = parse_date(self._value(values, "date"), date_column.header) if date_column else None
        organisation = " ".join(self._value(values, "organisation").split())
        respondent_type = " ".join(self._value(values, "respondent_type").split()) or None
        check_length(organisation, 300, "The organisation name")
        check_length(respondent_type or "", 100, "The respondent type")
        privacy = self._value(values, "privacy")
        consent, recognised = consent_for(privacy, respondent_type or "", organisation)
        if privacy and not recognised and consent == "anonymous" and not _ANONYMOUS.search(normalise(privacy)):
            self.unrecognised_privacy[privacy] = self.unrecognised_privacy.get(privacy, 0) + 1
        individual = bool(INDIVIDUAL.search(respondent_type or ""))
        name = organisation if organisation and not individual else f"Respondent {external_id}"
        if len(name) > 300:
            name = f"Respondent at row {row.number}"
        contact = "\n".join(f"{c.header}: {values[c.column - 1]}" for c in self.mapping.columns
                            if c.field == "contact" and values[c.column - 1])
        if individual and organisation:
            contact = "\n".join(filter(None, [contact, f"Organisation given: {organisation}"]))
        attributes = {c.header: values[c.column - 1] for c in self.mapping.columns
                      if c.field == "attribute" and values[c.column - 1]}
        if respondent_type:
            attributes["respondent type"] = respondent_type
        if privacy:
            attributes["publication privacy"] = privacy
        plan = SurveyRow(
            number=row.number, external_id=external_id, received_on=received_on, respondent_name=name,
            organisation=organisation if not individual else "", organisation_type=respondent_type,
            consent=consent, contact=contact or None, attachment=self._value(values, "attachment") or None,
            attributes=attributes,
        )
        for column in self.mapping.answers:
            answer = values[column.column - 1].strip()
            if answer:
                plan.answers.append((column, answer))
        self.seen[external_id] = row.number
        return plan

    def is_stored(self, plan: SurveyRow) -> bool:
        return plan.external_id in self.existing

    def _respondent(self, plan: SurveyRow) -> Respondent:
        key = plan.respondent_name.lower()
        respondent = self.respondents.get(key)
        if respondent is None:
            respondent = self.session.scalar(
                select(Respondent).where(func.lower(Respondent.name) == key).order_by(Respondent.id))
        if respondent is None:
            respondent = Respondent(name=plan.respondent_name,
                                    organisation_type=self.organisation_type(plan.organisation_type),
                                    consent=plan.consent, contact_details=plan.contact)
            self.session.add(respondent)
            self.report.count("respondents created")
        elif respondent.consent != plan.consent:
            self.report.note(f"Some respondents already existed with another publication consent; it was kept "
                             f"(for example {respondent.name}: '{respondent.consent}', the survey says "
                             f"'{plan.consent}'). Change consent on the respondent's record.")
        self.respondents[key] = respondent
        return respondent

    def store(self, plan: SurveyRow) -> Response:
        respondent = self._respondent(plan)
        response = Response(
            consultation=self.consultation, respondent=respondent, channel=CHANNEL, received_on=plan.received_on,
            external_id=plan.external_id, import_run_id=self.import_run_id, attributes=plan.attributes or None,
        )
        parts: list[str] = []
        length = 0
        sections: list[dict] = []
        for position, (column, answer) in enumerate(plan.answers, start=1):
            question = self.questions[column.question]
            section = {"position": position, "kind": column.kind, "text": answer, "question": question,
                       "start_offset": None, "end_offset": None, "written_response_id": None, "note": None}
            if column.kind == "text":
                if is_placeholder(answer):
                    section["kind"] = "placeholder"
                heading = f"{question.number}. {' '.join(question.text.split())}\n"
                section["start_offset"] = length + len(heading)
                section["end_offset"] = section["start_offset"] + len(answer)
                parts.append(heading + answer + "\n\n")
                length += len(parts[-1])
            sections.append(section)
        response.text = "".join(parts).rstrip("\n") + ("\n" if parts else "")
        self.session.add(response)
        self._extract(response, sections, plan.organisation)
        placeholders = [section for section in sections if section["kind"] == "placeholder"]
        if placeholders:
            written = self._written_response(respondent)
            self.report.count("placeholder answers", len(placeholders))
            for section in placeholders:
                if written is not None:
                    section["written_response_id"] = written.id
                    self.report.count("placeholders linked to a written response")
                else:
                    section["note"] = _placeholder_note(plan.attachment)
        self.pending_sections.append((response, sections))
        self.report.count("answers", len(sections))
        self.existing.add(plan.external_id)
        return response

    def flushed(self) -> None:
        """Insert the batch's answers once its responses have ids: tens of thousands of
        plain rows, written in bulk rather than as ORM objects (sections are neither
        audited nor indexed: they are part of the response's "created" record)."""
        rows = []
        for response, sections in self.pending_sections:
            for section in sections:
                row = dict(section, response_id=response.id, question_id=section["question"].id)
                del row["question"]
                rows.append(row)
        self.pending_sections = []
        if rows:
            self.session.execute(insert(ResponseSection), rows)

    def _extract(self, response: Response, sections: list[dict], organisation: str) -> None:
        """Recommendations in free-text answers, numbered across the response (R1, R2, R2.1
        ...), anchored in the response text and linked to the answer's question."""
        from ..extract import extract_recommendations  # compiles the extraction patterns: see consultations.extract

        sequence = tops = 0
        for section in sections:
            if section["start_offset"] is None:
                continue
            offset = section["start_offset"]
            found = extract_recommendations(section["text"], resolver=self.resolver,
                                             self_names=[organisation] if organisation else [])
            keys: dict[str, Recommendation] = {}
            for rec in found:
                sequence += 1
                if rec.parent is None:
                    tops += 1
                    key = f"R{tops}"
                else:
                    key = f"{keys[rec.parent].key}.{rec.key.rsplit('.', 1)[1]}"
                recommendation = Recommendation(
                    response=response, key=key, sequence=sequence, text=rec.text,
                    spans=[[s + offset, e + offset] for s, e in rec.spans],
                    unresolved_references=list(rec.unresolved_references), parent=keys.get(rec.parent),
                    question=section["question"], origin="extracted", import_run_id=self.import_run_id,
                )
                keys[rec.key] = recommendation
                self.session.add(recommendation)
                for item in rec.items:
                    self.session.add(Link(recommendation=recommendation, item=item, origin="explicit",
                                          status="confirmed", evidence=rec.evidence.get(id(item))))
                    self.report.count("standard links")
            self.report.count("recommendations", len(found))

    def _written_response(self, respondent: Respondent) -> Response | None:
        if respondent.id is None:
            return None  # a new respondent has no written response yet
        return written_response_of(self.session, self.consultation.id, respondent.id)

    def finish(self) -> None:
        for value, n in sorted(self.unrecognised_privacy.items()):
            self.report.note(f"The privacy setting '{value}' was not recognised, so {n} respondent"
                             f"{'s were' if n != 1 else ' was'} made anonymous.")
