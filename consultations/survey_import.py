"""Online-survey exports: one row per respondent, one column per question.

Columns are mapped once for the whole file: metadata columns (reference, date, respondent
type, organisation, publication privacy, ...) are recognised by their header, the other
columns are matched to the consultation's questions by their text (or created from the
headers). The mapping can be saved to a YAML/JSON file, edited, and given back.

Each row becomes one response (channel "online survey") whose text holds every answer
under its question, with one ``ResponseSection`` per answer pointing at its characters and
its question. Recommendations are extracted from free-text answers and linked to the
question. Answers such as "See written response" are placeholders: they point at the
respondent's written response in the consultation when there is one.

Publication consent is conservative: only an organisation that chose to be published with
its details is named; individuals (citizens) never are, whatever they chose.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .bulk import (
    ImportReport,
    Row,
    RowError,
    TableError,
    check_length,
    normalise,
    parse_date,
    read_text,
    row_key,
    shorten,
)
from .extract import content_words, extract_recommendations
from .models import Consultation, Link, Question, Recommendation, Respondent, Response, ResponseSection
from .soft_delete import WITH_DELETED
from .references import ReferenceResolver
from .yamlfile import LineList, YamlFileError, line_of, load_yaml

CHANNEL = "online survey"
WRITTEN_CHANNELS_EXCLUDED = (CHANNEL, "import")

#: Metadata a column can hold, besides an answer to a question.
FIELDS = {
    "reference": "the respondent's reference (makes re-imports skip rows already stored)",
    "date": "when the answer was submitted",
    "respondent_type": "respondent type (organisation type; citizens are never named)",
    "organisation": "organisation name (the respondent's name)",
    "privacy": "publication privacy setting (becomes publication consent)",
    "attachment": "name of a document uploaded with the answers",
    "contact": "personal contact details (kept private)",
    "attribute": "kept with the response as given (language, country, ...)",
    "ignore": "not imported",
}
KINDS = ("text", "choice")

# Headers of metadata columns, as normalised words. Only short headers are considered, so
# a question that mentions a date or publication is never taken for metadata.
_METADATA = [
    ("reference", re.compile(r"^(reference|ref|id|response id|respondent id|submission id|reference (number|no)|"
                             r"response reference|case number)$")),
    ("date", re.compile(r"^((feedback|submission|response|received|completion) date|date( (submitted|received))?|"
                        r"submitted( on)?|timestamp|completed( on)?)$")),
    ("respondent_type", re.compile(r"\b(user type|respondent type|type of respondent|organi[sz]ation type|"
                                   r"type of organi[sz]ation|responding as|capacity)\b")),
    ("organisation", re.compile(r"^(organi[sz]ation( name)?|name of (the |your )?organi[sz]ation|company( name)?|"
                                r"organi[sz]ation or body)$")),
    ("privacy", re.compile(r"\b(privacy|publication|publish|consent)\b")),
    ("attachment", re.compile(r"\b(upload|attach\w*)\b")),
    ("contact", re.compile(r"^(e ?mail( address)?|first name|last name|surname|family name|given name|full name|"
                           r"name|your name|phone|telephone|address|postcode)$")),
    ("attribute", re.compile(r"^(language|country|scope|transparency register( number)?|organi[sz]ation size|"
                             r"size|sector|region|country of origin)$")),
]
MAX_METADATA_WORDS = 8

INDIVIDUAL = re.compile(r"citizen|individual|private (person|capacity|individual)|member of the public|"
                        r"personal capacity|myself|resident", re.IGNORECASE)
_CONFIDENTIAL = re.compile(r"confidential|not (to )?be published|do not publish|don't publish|not for publication|"
                           r"no publication|private")
_ANONYMOUS = re.compile(r"anonym")
_NAMED = re.compile(r"public|personal information|with (my|your|our) (organi[sz]ation'?s? )?(name|details)|named|"
                    r"be published|yes")

# "See written response", "Please refer to the attached position paper", "(Ver documento
# adjunto)": a pointing word followed, within a few words, by a word for a document.
_PLACEHOLDER = re.compile(
    r"\b(see|cf|cfr|refer|referring|please find|details in|ver|vedi|siehe|voir)\b"
    r"\W+(?:[\w'’.,-]+\W+){0,7}?"
    r"(written|attach\w*|enclos\w*|upload\w*|document\w*|(?<!white )paper|submission|contribution|response|"
    r"annex\w*|file|position|statement|adjunto|allegato|anhang|anlage|beigef\w*|jointe?|"
    r"(?:complementary|separate|detailed|full|additional) answer)\b",
    re.IGNORECASE)
PLACEHOLDER_MAX = 300

RATING = re.compile(r"^\d+\s*(-|–|:|\))")
CHOICE_WORDS = {"yes", "no", "other", "no opinion", "don t know", "dont know", "not applicable", "n a"}
CHOICE_MAX_DISTINCT = 12
CHOICE_MAX_LENGTH = 300
SAMPLE_ROWS = 1000
QUESTION_NUMBER_MAX = 20  # Question.number's column size


class SurveyError(ValueError):
    """The survey cannot be imported as asked; the message says why and what to do."""


@dataclass
class ColumnMap:
    column: int  # 1-based, as a spreadsheet counts
    header: str
    field: str | None = None  # a key of FIELDS, or None for an answer column
    question: str | None = None  # the question's number; None with field=None: not matched
    kind: str = "text"  # "text" (free text, recommendations extracted) or "choice"
    create: bool = False  # the question does not exist yet and will be created from the header

    def describe(self) -> str:
        if self.field:
            return FIELDS[self.field].split(" (")[0]
        if self.question is None:
            return "no matching question: not imported"
        verb = "new question" if self.create else "question"
        return f"{verb} {self.question} ({self.kind})"


@dataclass
class Mapping:
    columns: list[ColumnMap]

    def of(self, name: str) -> ColumnMap | None:
        return next((c for c in self.columns if c.field == name), None)

    @property
    def answers(self) -> list[ColumnMap]:
        return [c for c in self.columns if c.field is None and c.question is not None]

    @property
    def unmatched(self) -> list[ColumnMap]:
        return [c for c in self.columns if c.field is None and c.question is None]


# --- proposing, saving and loading a mapping ---------------------------------------------


def metadata_field(header: str) -> str | None:
    words = normalise(header)
    if not words or len(words.split()) > MAX_METADATA_WORDS:
        return None
    for name, pattern in _METADATA:
        if pattern.search(words):
            return name
    return None


def guess_kind(header: str, values: Iterable[str]) -> str:
    """"choice" for rating and multiple-choice columns, "text" for free text."""
    present = [v for v in values if v]
    distinct = {normalise(v) for v in present}
    if not present or len(distinct) > CHOICE_MAX_DISTINCT or max(len(v) for v in present) > CHOICE_MAX_LENGTH:
        return "text"
    if all(RATING.match(v) for v in present) or distinct <= CHOICE_WORDS:
        return "choice"
    # Few distinct values, each given by several respondents: a list to choose from.
    return "choice" if len(present) >= 3 * len(distinct) else "text"


def _similarity(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


QUESTION_MATCH = 0.5


def propose_mapping(headers: list[str], sample: list[list[str]], questions: list[Question],
                    *, create_questions: bool = False) -> Mapping:
    """Metadata recognised by header; answer columns matched to questions by text: equal
    text first (repeated headers in order), then the most similar words."""
    columns = []
    for index, header in enumerate(headers):
        name = metadata_field(header)
        if name is not None and name in {c.field for c in columns} - {"attribute", "contact", "ignore"}:
            name = "attribute"  # a second "date" column is kept, not used twice
        column = ColumnMap(index + 1, header, field=name)
        if name is None:
            column.kind = guess_kind(header, (row[index] for row in sample))
        columns.append(column)
    answers = [c for c in columns if c.field is None]

    used: set[int] = set()
    by_text: dict[str, list[Question]] = {}
    for question in questions:
        by_text.setdefault(normalise(question.text), []).append(question)
    for column in answers:
        for question in by_text.get(normalise(column.header), []):
            if question.id not in used:
                used.add(question.id)
                column.question = question.number
                break
    scored = sorted(
        ((_similarity(column.header, question.text), column.column, column, question)
         for column in answers if column.question is None for question in questions if question.id not in used),
        key=lambda entry: (-entry[0], entry[1]),
    )
    for score, _, column, question in scored:
        if score < QUESTION_MATCH:
            break
        if column.question is None and question.id not in used:
            used.add(question.id)
            column.question = question.number
    if create_questions:
        numbers = [int(q.number) for q in questions if q.number.isdigit()]
        next_number = max(numbers, default=0) + 1
        for column in answers:
            if column.question is None and column.header:
                column.question, column.create = str(next_number), True
                next_number += 1
    return Mapping(columns)


def save_mapping(mapping: Mapping, path: Path, source: str) -> None:
    data = {
        "source": source,
        "columns": [
            {"column": c.column, "header": c.header,
             **({"field": c.field} if c.field else {"question": c.question, "kind": c.kind})}
            for c in mapping.columns
        ],
    }
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    header = (f"# Survey column mapping for {source}.\n"
              "# Each column has either a `field` (" + ", ".join(FIELDS) + ")\n"
              "# or a `question` number (null: not imported) and a `kind` (text or choice).\n")
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")


def load_mapping(path: Path, headers: list[str], questions: list[Question], *, create_questions: bool) -> Mapping:
    """A saved mapping, checked against the file's headers and the consultation's questions."""
    data = _read_mapping_file(path)
    entries = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SurveyError(f"The mapping {path} needs a `columns` list (save one with --save-mapping to start from).")
    known = {q.number: q for q in questions}
    problems, columns, seen = [], [], set()
    for n, entry in enumerate(entries, start=1):
        line = line_of(entry) or (entries.lines[n - 1] if isinstance(entries, LineList) else None)
        where = f"line {line}: " if line else ""
        column_number = entry.get("column") if isinstance(entry, dict) else None
        if isinstance(column_number, bool) or not isinstance(column_number, int):
            problems.append(f"{where}entry {n} needs a `column` number")
            continue
        index = entry["column"]
        if not 1 <= index <= len(headers):
            problems.append(f"{where}column {index} does not exist: the file has {len(headers)} columns")
            continue
        if index in seen:
            problems.append(f"{where}column {index} is mapped twice")
            continue
        seen.add(index)
        header = headers[index - 1]
        if "header" in entry and normalise(str(entry["header"] or "")) != normalise(header):
            problems.append(f"{where}column {index} is headed '{shorten(header)}' in the file but "
                            f"'{shorten(str(entry['header']))}' in the mapping: was it saved for another file?")
            continue
        column = ColumnMap(index, header)
        if entry.get("field") is not None:
            if not isinstance(entry["field"], str) or entry["field"] not in FIELDS:
                problems.append(f"{where}column {index}: field '{entry['field']}' is not one of {', '.join(FIELDS)}")
                continue
            column.field = entry["field"]
        elif entry.get("question") is not None:
            number = str(entry["question"])
            if isinstance(entry["question"], (bool, list, dict)) or len(number) > QUESTION_NUMBER_MAX:
                problems.append(f"{where}column {index}: question must be a question number "
                                f"(at most {QUESTION_NUMBER_MAX} characters), not {shorten(number)!r}")
                continue
            if number not in known and not create_questions:
                problems.append(f"{where}column {index}: question {number} does not exist in the consultation "
                                "(add --create-questions to create it from the header)")
                continue
            column.question, column.create = number, number not in known
            column.kind = entry.get("kind", "text")
            if column.kind not in KINDS:
                problems.append(f"{where}column {index}: kind must be text or choice, not '{column.kind}'")
                continue
        columns.append(column)
    for index, header in enumerate(headers, start=1):
        if index not in seen:
            columns.append(ColumnMap(index, header, field="ignore"))
    columns.sort(key=lambda c: c.column)
    mapping = Mapping(columns)
    single = [name for name in FIELDS if name not in {"attribute", "contact", "ignore"}]
    for name in single:
        if sum(1 for c in columns if c.field == name) > 1:
            problems.append(f"only one column can be the {name}")
    if problems:
        raise SurveyError(f"The mapping {path} cannot be used:\n" + "\n".join(f"- {p}" for p in problems))
    return mapping


def _read_mapping_file(path: Path):
    """The parsed mapping file; SurveyError naming the file, the line and the reason if it cannot be read."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise SurveyError(f"The mapping {path} is not valid JSON: line {error.lineno}: {error.msg}.") from None
        except RecursionError:
            raise SurveyError(f"The mapping {path} is nested too deeply to be a mapping file.") from None
    try:
        return load_yaml(text)
    except YamlFileError as error:
        raise SurveyError(f"The mapping {path} cannot be read: {error}. Nothing was imported.") from None


def create_missing_questions(session: Session, consultation: Consultation, mapping: Mapping) -> int:
    """Create the questions a mapping marks as new, with the column header as their text."""
    created = 0
    position = max((q.position for q in consultation.questions), default=-1) + 1
    existing = {q.number for q in consultation.questions}
    for column in mapping.answers:
        if column.create and column.question not in existing:
            consultation.questions.append(Question(number=column.question, text=column.header, position=position))
            existing.add(column.question)
            position += 1
            created += 1
        column.create = False
    session.flush()
    return created


# --- consent --------------------------------------------------------------------------


def consent_for(privacy: str, respondent_type: str, organisation: str) -> tuple[str, bool]:
    """(consent, recognised): named only for an organisation that chose publication with its
    details; anonymous for individuals, for rows without an organisation name, and when the
    setting is missing or not understood; confidential when it says not to publish."""
    words = normalise(privacy)
    if _CONFIDENTIAL.search(words):
        return "confidential", True
    if _ANONYMOUS.search(words):
        return "anonymous", True
    recognised = bool(_NAMED.search(words))
    if INDIVIDUAL.search(respondent_type or "") or not organisation:
        return "anonymous", recognised
    return ("named" if recognised else "anonymous"), recognised


def is_placeholder(answer: str) -> bool:
    """An answer that points elsewhere ("See written response", "Please refer to the
    attached paper") rather than answering here."""
    return len(answer) <= PLACEHOLDER_MAX and bool(_PLACEHOLDER.search(answer))


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
            respondent = Respondent(name=plan.respondent_name, organisation_type=plan.organisation_type,
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


def _placeholder_note(attachment: str | None) -> str:
    note = "Refers to a written response; none from this respondent is in the consultation yet"
    return note + (f" (uploaded file: {attachment})." if attachment else ".")


def written_response_of(session: Session, consultation_id: int, respondent_id: int) -> Response | None:
    return session.scalar(
        select(Response).where(
            Response.consultation_id == consultation_id, Response.respondent_id == respondent_id,
            Response.channel.not_in(WRITTEN_CHANNELS_EXCLUDED),
        ).order_by(Response.id).limit(1))


def link_placeholders(session: Session, consultation_id: int, respondent_id: int | None = None) -> int:
    """Point placeholder answers (of one respondent, or of all) at written responses that
    arrived after the survey was imported. Returns how many were linked. A fixed number of
    queries."""
    waiting = (
        select(ResponseSection, Response.respondent_id)
        .join(Response, ResponseSection.response_id == Response.id)
        .where(Response.consultation_id == consultation_id, ResponseSection.kind == "placeholder",
               ResponseSection.written_response_id.is_(None))
    )
    if respondent_id is not None:
        waiting = waiting.where(Response.respondent_id == respondent_id)
    rows = session.execute(waiting, execution_options=WITH_DELETED).all()  # deleted surveys' too
    if not rows:
        return 0
    written = {}
    for response in session.scalars(
        select(Response).where(
            Response.consultation_id == consultation_id,
            Response.respondent_id.in_({respondent_id for _, respondent_id in rows}),
            Response.channel.not_in(WRITTEN_CHANNELS_EXCLUDED),
        ).order_by(Response.id.desc())
    ):
        written[response.respondent_id] = response  # the earliest wins (ordered newest first)
    linked = 0
    for section, respondent_id in rows:
        if respondent_id in written:
            section.written_response = written[respondent_id]
            section.note = None
            linked += 1
    session.flush()
    return linked


__all__ = [
    "ColumnMap",
    "FIELDS",
    "Mapping",
    "SurveyError",
    "SurveyImporter",
    "TableError",
    "consent_for",
    "create_missing_questions",
    "is_placeholder",
    "link_placeholders",
    "load_mapping",
    "propose_mapping",
    "save_mapping",
]
