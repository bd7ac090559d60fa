"""Create or update a consultation and its questions from a small YAML file."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CONSULTATION_STATUSES, Consultation, Question
from .yamlfile import YamlFileError, line_of, load_yaml

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Column sizes in consultations.models, checked here so PostgreSQL never refuses a half-import.
MAX_LENGTHS = {"slug": 120, "title": 300, "body": 300, "number": 20, "topic": 200}


class ConsultationFileError(ValueError):
    """The file does not describe a consultation; the message lists every problem."""


def load_consultation_file(path: str | Path) -> dict:
    """Read and check a consultation file, returning its data. Raises ConsultationFileError
    naming the file and, for each problem, its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConsultationFileError(f"{path} cannot be read: {error}") from None
    try:
        data = load_yaml(text)
    except YamlFileError as error:
        problems = [str(error)]
    else:
        problems = check_consultation(data)
    if problems:
        raise ConsultationFileError(f"{path} was not imported; nothing was written:\n"
                                    + "\n".join(f"- {p}" for p in problems))
    return data


def check_consultation(data) -> list[str]:
    """Every problem with a consultation's data; each says its line when the data came from YAML."""
    if not isinstance(data, dict):
        return ["the file must be a mapping with slug, title, body and questions"]
    problems = []

    def problem(key, message: str, within=data) -> None:
        line = line_of(within, key)
        problems.append(f"line {line}: {message}" if line else message)

    for field in ("slug", "title", "body"):
        if not str(data.get(field) or "").strip():
            problem(field, f"'{field}' is missing")
    _check_text(data, ("slug", "title", "body", "summary"), problem)
    if data.get("slug") and not SLUG.match(str(data["slug"])):
        problem("slug", f"slug '{data['slug']}' must be lower-case words joined by hyphens")
    if data.get("status", "open") not in CONSULTATION_STATUSES:
        problem("status", f"status must be one of {', '.join(CONSULTATION_STATUSES)}")
    for field in ("opens_on", "closes_on"):
        value = data.get(field)
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            problem(field, f"'{field}' must be a date written YYYY-MM-DD, not {value!r}")
    opens, closes = data.get("opens_on"), data.get("closes_on")
    if isinstance(opens, dt.date) and isinstance(closes, dt.date) and closes < opens:
        problem("closes_on", "the consultation closes before it opens")
    questions = data.get("questions") or []
    if not isinstance(questions, list):
        problem("questions", "'questions' must be a list of questions, each with a number and text")
        questions = []
    numbers = set()
    for n, question in enumerate(questions, start=1):
        where = question if isinstance(question, dict) else data
        if not isinstance(question, dict) or not str(question.get("text") or "").strip():
            problem("text" if where is question else "questions", f"question {n} has no text", where)
            continue
        _check_text(question, ("number", "text", "topic"), lambda key, message: problem(
            key, f"question {n}: {message}", question))
        number = str(question.get("number") or n)
        if number in numbers:
            problem("number", f"question number {number} is used twice", question)
        numbers.add(number)
    return problems


def _check_text(data: dict, fields: tuple[str, ...], problem) -> None:
    """Fields that must be text (a number is read as written) and fit their column."""
    for field in fields:
        value = data.get(field)
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            problem(field, f"'{field}' must be text, not a {'list' if isinstance(value, list) else 'mapping'}")
        elif field in MAX_LENGTHS and len(str(value)) > MAX_LENGTHS[field]:
            problem(field, f"'{field}' is longer than {MAX_LENGTHS[field]} characters")


def upsert_consultation(session: Session, data: dict) -> tuple[Consultation, bool]:
    """Create the consultation, or update it in place (questions matched by number).
    Text fields are stored as text even where YAML read a number (``title: 2019``)."""
    slug = str(data["slug"])
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    created = consultation is None
    if created:
        consultation = Consultation(slug=slug)
        session.add(consultation)
    consultation.title = str(data["title"])
    consultation.body = str(data["body"])
    consultation.summary = _text_or_none(data.get("summary"))
    consultation.status = data.get("status", "open")
    consultation.opens_on = data.get("opens_on")
    consultation.closes_on = data.get("closes_on")
    existing = {question.number: question for question in consultation.questions}
    for position, entry in enumerate(data.get("questions") or []):
        number = str(entry.get("number") or position + 1)
        question = existing.get(number)
        if question is None:
            question = Question(number=number)
            consultation.questions.append(question)
        question.text = str(entry["text"])
        question.topic = _text_or_none(entry.get("topic"))
        question.position = position
    session.flush()
    return consultation, created


def _text_or_none(value) -> str | None:
    return None if value is None else str(value)
