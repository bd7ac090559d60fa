"""The audit log as people read it: "Assignee: (empty) → Sam Jones", not "Assignee id: → 2".

The log stores raw column values (ids, JSON, ISO dates) so that nothing is lost; the history
pages and the stale-edit notice show them through ``readable``, which names what an id points at
(a person, a question, a recommendation's key), says yes or no, and writes dates and statuses as
people write them. The names are looked up in one query per kind of record, whatever the number
of events.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field as dataclass_field

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultations.models import (
    Consultation,
    Framework,
    FrameworkItem,
    ImportRun,
    OrganisationType,
    Question,
    Recommendation,
    Respondent,
)
from consultations.soft_delete import WITH_DELETED
from consultations.vocabulary import tag
from consultations.workflow import AuditEvent, User

EMPTY = "(empty)"


def _person(user: User) -> str:
    return user.name or user.email


def _question(question: Question) -> str:
    text = question.text or ""
    return f"Question {question.number}: {text[:80]}{'...' if len(text) > 80 else ''}"


# What an id column points at: (model, how one reads), by column name; ``parent_id`` depends on
# the entity (a recommendation's parent is a recommendation, an item's an item).
_PEOPLE = (User, _person)
REFERENCES: dict[str, tuple[type, Callable]] = {
    "assignee_id": _PEOPLE, "decided_by_id": _PEOPLE, "approved_by_id": _PEOPLE, "published_by_id": _PEOPLE,
    "created_by_id": _PEOPLE, "confirmed_by_id": _PEOPLE, "user_id": _PEOPLE, "withdrawn_by_id": _PEOPLE,
    "question_id": (Question, _question),
    "duplicate_of_id": (Recommendation, lambda rec: rec.key),
    "primary_id": (Recommendation, lambda rec: rec.key),
    "recommendation_id": (Recommendation, lambda rec: rec.key),
    "respondent_id": (Respondent, lambda respondent: respondent.name),
    "organisation_type_id": (OrganisationType, lambda organisation_type: organisation_type.name),
    "consultation_id": (Consultation, lambda consultation: consultation.title),
    "item_id": (FrameworkItem, lambda item: item.code),
    "framework_id": (Framework, lambda framework: f"{framework.name} ({framework.version})"),
    "import_run_id": (ImportRun, lambda run: f"#{run.id}, {run.source} ({run.started_at:%-d %B %Y})"),
}
PARENTS = {"recommendation": REFERENCES["duplicate_of_id"], "framework-item": REFERENCES["item_id"]}
LABELS = {"duplicate_of_id": "Duplicate of", "parent_id": "Sub-point of", "primary_id": "Primary recommendation",
          "item_id": "Framework item", "spans": "Passages in the response", "deleted_at": "Deleted",
          "retired_at": "Retired", "due_on": "Due date", "on": "Date",
          "withdrawn_at": "Withdrawn", "withdrawal_reason": "Reason for withdrawal",
          "outcome_published_on": "Outcome published"}


@dataclass
class ReadableChange:
    """One audit event as shown: ``field`` is the label, ``old`` and ``new`` the values as read
    (None when empty); a creation lists its values in ``created``."""

    event: AuditEvent
    field: str
    old: str | None
    new: str | None
    created: list[tuple[str, str]] = dataclass_field(default_factory=list)

    @property
    def user(self) -> User | None:
        return self.event.user

    @property
    def at(self) -> dt.datetime:
        return self.event.at


def _reference(entity: str, column: str) -> tuple[type, Callable] | None:
    if column == "parent_id":
        return PARENTS.get(entity)
    return REFERENCES.get(column)


def label(column: str) -> str:
    """"assignee_id" → "Assignee", "due_on" → "Due date"."""
    if column in LABELS:
        return LABELS[column]
    words = column.removesuffix("_id").replace("_", " ")
    return words[:1].upper() + words[1:]


def _names(session: Session, wanted: dict[type, set[int]]) -> dict[tuple[type, int], object]:
    found = {}
    for model, ids in wanted.items():
        for obj in session.scalars(select(model).where(model.id.in_(ids)), execution_options=WITH_DELETED):
            found[(model, obj.id)] = obj
    return found


def _value(column: str, raw: str | None, reference, names) -> str | None:
    if raw is None or raw == "":
        return None
    if reference is not None and raw.isdigit():
        model, reads = reference
        obj = names.get((model, int(raw)))
        return reads(obj) if obj is not None else f"#{raw} (no longer exists)"
    if raw in ("True", "False"):
        return "Yes" if raw == "True" else "No"
    if column == "spans":
        return _passages(raw)
    if raw[:1] in "[{":
        try:
            parsed = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(parsed, list):
            return ", ".join(str(item) for item in parsed) or None
        if isinstance(parsed, dict):
            return "; ".join(f"{label(key)}: {value}" for key, value in parsed.items()) or None
    when = _date(raw)
    if when is not None:
        return when
    if column in ("status", "state", "outcome", "consent", "origin"):
        return tag(raw).label
    return raw


def _passages(raw: str) -> str | None:
    try:
        spans = json.loads(raw)
    except ValueError:
        return raw
    if not spans:
        return None
    return "; ".join(f"characters {start:,} to {end:,}" for start, end in spans)


def _date(raw: str) -> str | None:
    if len(raw) < 10 or raw[4:5] != "-" or raw[7:8] != "-":
        return None
    try:
        if len(raw) == 10:
            return f"{dt.date.fromisoformat(raw):%-d %B %Y}"
        return f"{dt.datetime.fromisoformat(raw):%-d %B %Y %H:%M}"
    except ValueError:
        return None


def readable(session: Session, events: Iterable[AuditEvent]) -> list[ReadableChange]:
    """The events as people read them, in the same order."""
    events = list(events)
    created = {event.id: json.loads(event.new or "{}") for event in events if event.field == "created"}
    wanted: dict[type, set[int]] = defaultdict(set)
    for event in events:
        pairs = created[event.id].items() if event.id in created else [(event.field, event.old), (event.field, event.new)]
        for column, raw in pairs:
            reference = _reference(event.entity_type, column)
            if reference is not None and isinstance(raw, str) and raw.isdigit():
                wanted[reference[0]].add(int(raw))
    names = _names(session, wanted)
    shown = []
    for event in events:
        if event.id in created:
            values = [(label(column), _value(column, raw, _reference(event.entity_type, column), names))
                      for column, raw in created[event.id].items() if column != "id"]
            shown.append(ReadableChange(event, "Created", None, None,
                                        [(name, value) for name, value in values if value is not None]))
            continue
        reference = _reference(event.entity_type, event.field)
        shown.append(ReadableChange(event, label(event.field), _value(event.field, event.old, reference, names),
                                    _value(event.field, event.new, reference, names)))
    return shown

