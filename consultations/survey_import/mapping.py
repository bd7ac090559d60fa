"""The column mapping of a survey export: proposing it from the headers and a sample of rows,
saving it to YAML/JSON, loading an edited one back, creating the questions it names."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from ..bulk import (
    normalise,
    read_text,
    shorten,
)
from ..models import Consultation, Question
from ..yamlfile import LineList, YamlFileError, line_of, load_yaml


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
    from ..extract import content_words  # compiles the extraction patterns: see consultations.extract

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
