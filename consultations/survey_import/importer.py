"""Importing the rows: one response per respondent, one section per answer, recommendations
extracted from free-text answers and linked to their question."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from ..bulk import (
    ImportReport,
    Row,
    RowError,
    check_length,
    normalise,
    parse_date,
    row_key,
)
from ..decisions import note_new_recommendations
from ..models import Consultation, Link, Recommendation, Respondent, Response, ResponseSection, utcnow
from ..organisation_types import ImportMatcher
from ..soft_delete import WITH_DELETED
from ..references import ReferenceResolver
from .consent import INDIVIDUAL, _ANONYMOUS, consent_for, is_placeholder
from .mapping import CHANNEL, WRITTEN_CHANNELS_EXCLUDED, ColumnMap, Mapping
from .placeholders import _placeholder_note

_RECOMMENDATION_COLUMNS = ("response_id", "key", "sequence", "text", "spans", "unresolved_references", "question_id",
                           "origin", "import_run_id")


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


@dataclass
class StoredResponse:
    """A row as ``store_batch`` inserted it: what its search documents say, without reading it back."""

    id: int
    text: str
    respondent: str  # the stored respondent's name
    org_type: str  # its organisation type's name, or ""
    received_on: object
    created_at: object
    recommendations: list[dict]  # id, key, text, standards (codes of the items it names)


class SurveyImporter:
    """Turns rows into responses in one consultation. ``prepare`` checks a row without
    touching the database; ``store_batch`` writes a batch of rows (the caller commits)."""

    kind = "survey"
    queued_kinds = ("response", "recommendation")  # what a batch creates that search must index

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
        self.respondents: dict[str, Respondent] = {}  # by lower-case name
        self.created: dict[str, list[int]] = {}
        self.unrecognised_privacy: dict[str, int] = {}

    def reset(self) -> None:
        """Forget cached objects after a rollback (they may no longer exist)."""
        self.respondents.clear()
        self.created = {}
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

    def store_batch(self, plans: list[SurveyRow]) -> list[StoredResponse]:
        """Store a batch of rows with a few bulk statements, not one ORM object per row.

        Respondents (one per row, but audited and searched as people) go through the ORM in one
        flush; responses, their answers and the recommendations extracted from them are inserted
        with one multi-row INSERT each (recommendations: one per nesting level, parents first).
        What the batch needs from the database (existing respondents, written responses for
        placeholder answers) is read once for the batch. The ids created are kept for the import
        run's audit trail (``take_changes``); the caller records them and commits. Returns each
        row as stored, for its search documents."""
        now = utcnow()
        respondents = self._respondents(plans)
        written = self._written_responses([r.id for r, plan in zip(respondents, plans)
                                           if r.id is not None and any(is_placeholder(a) for c, a in plan.answers
                                                                       if c.kind == "text")])
        laid_out = [self._lay_out(plan) for plan in plans]
        table = Response.__table__
        response_ids = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), [
            {"consultation_id": self.consultation.id, "respondent_id": respondent.id, "channel": CHANNEL,
             "received_on": plan.received_on, "text": text, "status": "received", "external_id": plan.external_id,
             "import_run_id": self.import_run_id, "attributes": plan.attributes or None, "created_at": now,
             "version_id": 1}
            for plan, respondent, (text, _) in zip(plans, respondents, laid_out)]).scalars().all()
        self.created.setdefault("response", []).extend(response_ids)

        section_rows, recommendations, stored = [], [], []
        for plan, respondent, (text, sections), response_id in zip(plans, respondents, laid_out, response_ids):
            extracted = self._extract(response_id, sections, plan.organisation)
            recommendations += extracted
            stored.append(StoredResponse(response_id, text, respondent.name, respondent.organisation_type.name
                                         if respondent.organisation_type else "", plan.received_on, now, extracted))
            placeholders = [section for section in sections if section["kind"] == "placeholder"]
            if placeholders:
                found = written.get(respondent.id)
                self.report.count("placeholder answers", len(placeholders))
                for section in placeholders:
                    if found is not None:
                        section["written_response_id"] = found
                        self.report.count("placeholders linked to a written response")
                    else:
                        section["note"] = _placeholder_note(plan.attachment)
            for section in sections:
                section_rows.append(dict(section, response_id=response_id))
            self.report.count("answers", len(sections))
            self.existing.add(plan.external_id)
        if section_rows:
            self.session.execute(insert(ResponseSection), section_rows)
        self._insert_recommendations(recommendations, now)
        return stored

    def _respondents(self, plans: list[SurveyRow]) -> list[Respondent]:
        """Each row's respondent: one already known by name (case aside: the oldest), else a new
        one. Those not cached are looked up with one query for the batch; new ones get their ids
        in one flush (audited and searched by the ORM, as any new respondent)."""
        wanted = sorted({plan.respondent_name.lower() for plan in plans} - self.respondents.keys())
        for start in range(0, len(wanted), 500):
            for respondent in self.session.scalars(
                    select(Respondent).where(func.lower(Respondent.name).in_(wanted[start:start + 500]))
                    .options(selectinload(Respondent.organisation_type)).order_by(Respondent.id.desc())):
                self.respondents[respondent.name.lower()] = respondent  # the oldest wins (newest first)
        found = []
        for plan in plans:
            key = plan.respondent_name.lower()
            respondent = self.respondents.get(key)
            if respondent is None:
                respondent = self.respondents[key] = Respondent(
                    name=plan.respondent_name, organisation_type=self.organisation_type(plan.organisation_type),
                    consent=plan.consent, contact_details=plan.contact)
                self.session.add(respondent)
                self.report.count("respondents created")
            elif respondent.consent != plan.consent:
                self.report.note(f"Some respondents already existed with another publication consent; it was kept "
                                 f"(for example {respondent.name}: '{respondent.consent}', the survey says "
                                 f"'{plan.consent}'). Change consent on the respondent's record.")
            found.append(respondent)
        self.session.flush()
        return found

    def _written_responses(self, respondent_ids: list[int]) -> dict[int, int]:
        """Respondent id -> its first written response in the consultation, for placeholder answers."""
        found: dict[int, int] = {}
        ordered = sorted(set(respondent_ids))
        for start in range(0, len(ordered), 500):
            for respondent_id, response_id in self.session.execute(
                    select(Response.respondent_id, func.min(Response.id)).where(
                        Response.consultation_id == self.consultation.id,
                        Response.respondent_id.in_(ordered[start:start + 500]),
                        Response.channel.not_in(WRITTEN_CHANNELS_EXCLUDED)).group_by(Response.respondent_id)):
                found[respondent_id] = response_id
        return found

    def _lay_out(self, plan: SurveyRow) -> tuple[str, list[dict]]:
        """The response's text (each free-text answer under its question) and its sections, one
        per answer, pointing at their characters."""
        parts: list[str] = []
        length = 0
        sections: list[dict] = []
        for position, (column, answer) in enumerate(plan.answers, start=1):
            question = self.questions[column.question]
            section = {"position": position, "kind": column.kind, "text": answer, "question_id": question.id,
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
        return "".join(parts).rstrip("\n") + ("\n" if parts else ""), sections

    def _extract(self, response_id: int, sections: list[dict], organisation: str) -> list[dict]:
        """Recommendations in free-text answers, numbered across the response (R1, R2, R2.1
        ...), anchored in the response text and linked to the answer's question: rows to insert,
        each with its parent's row (``parent``) and its standard links (``items``)."""
        from ..extract import extract_recommendations  # compiles the extraction patterns: see consultations.extract

        rows = []
        sequence = tops = 0
        for section in sections:
            if section["start_offset"] is None:
                continue
            offset = section["start_offset"]
            found = extract_recommendations(section["text"], resolver=self.resolver,
                                             self_names=[organisation] if organisation else [])
            keys: dict[str, dict] = {}
            for rec in found:
                sequence += 1
                if rec.parent is None:
                    tops += 1
                    key = f"R{tops}"
                else:
                    key = f"{keys[rec.parent]['key']}.{rec.key.rsplit('.', 1)[1]}"
                row = keys[rec.key] = {
                    "response_id": response_id, "key": key, "sequence": sequence, "text": rec.text,
                    "spans": [[s + offset, e + offset] for s, e in rec.spans],
                    "unresolved_references": list(rec.unresolved_references), "parent": keys.get(rec.parent),
                    "question_id": section["question_id"], "origin": "extracted",
                    "import_run_id": self.import_run_id,
                    "items": [(item, rec.evidence.get(id(item))) for item in rec.items]}
                rows.append(row)
                self.report.count("standard links", len(rec.items))
            self.report.count("recommendations", len(found))
        return rows

    def _insert_recommendations(self, rows: list[dict], now) -> None:
        """Insert extracted recommendations level by level (a parent's id before its children),
        then their standard links through the ORM (rare, and audited as links)."""
        table = Recommendation.__table__
        level = [row for row in rows if row["parent"] is None]
        while level:
            values = [{name: row[name] for name in _RECOMMENDATION_COLUMNS}
                      | {"parent_id": row["parent"]["id"] if row["parent"] else None, "created_at": now,
                         "version_id": 1}
                      for row in level]
            ids = self.session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                       values).scalars().all()
            for row, recommendation_id in zip(level, ids):
                row["id"] = recommendation_id
            self.created.setdefault("recommendation", []).extend(ids)
            placed = {id(row) for row in level}
            level = [row for row in rows if row["parent"] is not None and id(row["parent"]) in placed]
        links = [Link(recommendation_id=row["id"], item=item, origin="explicit", status="confirmed", evidence=evidence)
                 for row in rows for item, evidence in row["items"]]
        if links:
            self.session.add_all(links)
            self.session.flush()
        note_new_recommendations(self.session, {row["response_id"] for row in rows})

    def take_changes(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """The ids created since the last call (for the import run's audit trail)."""
        created, self.created = self.created, {}
        return created, {}

    def finish(self) -> None:
        for value, n in sorted(self.unrecognised_privacy.items()):
            self.report.note(f"The privacy setting '{value}' was not recognised, so {n} respondent"
                             f"{'s were' if n != 1 else ' was'} made anonymous.")
