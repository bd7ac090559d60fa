"""Create or update a consultation and its questions from a small YAML file."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CONSULTATION_STATUSES, Consultation, Question

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ConsultationFileError(ValueError):
    """The file does not describe a consultation; the message lists every problem."""


def load_consultation_file(path: str | Path) -> dict:
    """Read and check a consultation file, returning its data. Raises ConsultationFileError."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConsultationFileError(f"{path} cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise ConsultationFileError(f"{path} is not valid YAML: {error}") from None
    problems = check_consultation(data)
    if problems:
        raise ConsultationFileError(f"{path} was not imported:\n" + "\n".join(f"- {p}" for p in problems))
    return data


def check_consultation(data) -> list[str]:
    if not isinstance(data, dict):
        return ["the file must be a mapping with slug, title, body and questions"]
    problems = []
    for field in ("slug", "title", "body"):
        if not str(data.get(field) or "").strip():
            problems.append(f"'{field}' is missing")
    if data.get("slug") and not SLUG.match(str(data["slug"])):
        problems.append(f"slug '{data['slug']}' must be lower-case words joined by hyphens")
    if data.get("status", "open") not in CONSULTATION_STATUSES:
        problems.append(f"status must be one of {', '.join(CONSULTATION_STATUSES)}")
    for field in ("opens_on", "closes_on"):
        if data.get(field) is not None and not isinstance(data[field], dt.date):
            problems.append(f"'{field}' must be a date written YYYY-MM-DD")
    opens, closes = data.get("opens_on"), data.get("closes_on")
    if isinstance(opens, dt.date) and isinstance(closes, dt.date) and closes < opens:
        problems.append("the consultation closes before it opens")
    numbers = set()
    for n, question in enumerate(data.get("questions") or [], start=1):
        if not isinstance(question, dict) or not str(question.get("text") or "").strip():
            problems.append(f"question {n} has no text")
            continue
        number = str(question.get("number") or n)
        if number in numbers:
            problems.append(f"question number {number} is used twice")
        numbers.add(number)
    return problems


def upsert_consultation(session: Session, data: dict) -> tuple[Consultation, bool]:
    """Create the consultation, or update it in place (questions matched by number)."""
    consultation = session.scalar(select(Consultation).where(Consultation.slug == data["slug"]))
    created = consultation is None
    if created:
        consultation = Consultation(slug=data["slug"])
        session.add(consultation)
    consultation.title = data["title"]
    consultation.body = data["body"]
    consultation.summary = data.get("summary")
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
        question.text = entry["text"]
        question.topic = entry.get("topic")
        question.position = position
    session.flush()
    return consultation, created
