"""The audit log: every change to a tracked object is recorded as it is flushed.

Recording happens in one SQLAlchemy ``after_flush`` hook, so no view or service can
forget it: a new object gets one "created" event, a changed column gets an event with
its old and new value, and soft deletes and restores show up as changes to
``deleted_at``. The events are written in the same transaction, so a rollback removes
them with the change they describe. Who made the change is the signed-in user, or
nobody (the system) for command-line jobs.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Mapper, Session, selectinload

from consultations.models import (
    Campaign,
    Cluster,
    Consultation,
    Framework,
    FrameworkItem,
    ImportRun,
    Link,
    OrganisationType,
    Question,
    Recommendation,
    Respondent,
    Response,
    utcnow,
)

from consultations.redaction import Redaction
from consultations.understood_checks import UnderstoodAnswer, UnderstoodCheck
from consultations.soft_delete import WITH_DELETED
from consultations.workflow import Action, ActionUpdate, AuditEvent, Decision, User

# Entity names used in URLs and the log, for every audited class.
AUDITED = {
    "response": Response,
    "recommendation": Recommendation,
    "link": Link,
    "decision": Decision,
    "action": Action,
    "action-update": ActionUpdate,
    "respondent": Respondent,
    "organisation-type": OrganisationType,
    "consultation": Consultation,
    "question": Question,
    "framework": Framework,
    "framework-item": FrameworkItem,
    "user": User,
    "cluster": Cluster,
    "campaign": Campaign,
    "redaction": Redaction,
    "understood-check": UnderstoodCheck,
    "understood-answer": UnderstoodAnswer,
}
ENTITY_NAMES = {cls: name for name, cls in AUDITED.items()}
NOT_AUDITED_FIELDS = {"version_id", "created_at", "updated_at", "password_hash", "content"}


def entity_name(obj) -> str:
    return ENTITY_NAMES[type(obj)]


def _actor_id(session: Session) -> int | None:
    """Who is making the change: the web app puts the signed-in user's id in ``session.info``."""
    return session.info.get("actor_id")


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def _columns(obj):
    mapper = inspect(obj).mapper
    return [attr for attr in mapper.column_attrs if attr.key not in NOT_AUDITED_FIELDS and attr.key != "id"]


def _version(obj) -> int | None:
    return getattr(obj, "version_id", None)


def _events_for(session: Session, actor: int | None, now: dt.datetime) -> list[dict]:
    rows = []
    for obj in session.new:
        if type(obj) not in ENTITY_NAMES:
            continue
        values = {attr.key: _as_text(getattr(obj, attr.key)) for attr in _columns(obj)}
        values = {key: value for key, value in values.items() if value not in (None, "", "[]")}
        rows.append(dict(at=now, user_id=actor, entity_type=entity_name(obj), entity_id=obj.id,
                         field="created", old=None, new=json.dumps(values, ensure_ascii=False),
                         version=_version(obj)))
    for obj in session.dirty:
        if type(obj) not in ENTITY_NAMES or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        for attr in _columns(obj):
            history = state.attrs[attr.key].history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if _as_text(old) == _as_text(new):
                continue
            rows.append(dict(at=now, user_id=actor, entity_type=entity_name(obj), entity_id=obj.id,
                             field=attr.key, old=_as_text(old), new=_as_text(new), version=_version(obj)))
    return rows


def _load_old_values_on_set(target, value, oldvalue, initiator):
    return value


def record_changes(session: Session, flush_context) -> None:
    rows = _events_for(session, _actor_id(session), utcnow())
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def install() -> None:
    """Audit every flush of every session (the web app's, the command line's, a script's).

    Called by the app factory, or by a script using the domain without Flask; calling it again
    changes nothing. Without active history SQLAlchemy does not load an expired old value before
    overwriting it, and the log would record "(empty)" as the value before every change made
    after a commit: the attribute listeners ask for it. They are added once the mappers are
    configured (before any object is made or loaded), not here: configuring them is a tenth of a
    second that a command which never touches the database (``flask --help``) need not pay."""
    if event.contains(Session, "after_flush", record_changes):
        return
    if all(inspect(model).configured for model in AUDITED.values()):
        _ask_for_old_values()
    else:
        event.listen(Mapper, "after_configured", _ask_for_old_values, once=True)
    event.listen(Session, "after_flush", record_changes)


def _ask_for_old_values() -> None:
    for model in AUDITED.values():
        for attr in inspect(model).column_attrs:
            if attr.key not in NOT_AUDITED_FIELDS and attr.key != "id":
                event.listen(getattr(model, attr.key), "set", _load_old_values_on_set,
                             active_history=True, retval=True)


# --- bulk imports ------------------------------------------------------------------------
#
# A bulk import writes thousands of rows with a few INSERT statements, which no flush sees. It
# records each batch as ONE event on the import run (entity "import-run", field "rows"), whose
# value lists the ids it created and the ids of the responses it extended, as ranges:
# {"created": {"recommendation": [[1, 500]], "decision": [[1, 480]], "response": [[1, 12]]},
#  "extended": {"response": [[7, 7]]}}. The import run itself (``ImportRun``) says which file,
# when, with which options and with what result. ``history`` shows these as each object's
# "created" event (and a response's "text" growing), so an imported recommendation's history
# still says it was created by that import run.

IMPORT_RUN = "import-run"
IMPORT_ROWS = "rows"


def id_ranges(ids) -> list[list[int]]:
    """[3, 1, 2, 7] -> [[1, 3], [7, 7]]."""
    ranges: list[list[int]] = []
    for number in sorted(set(ids)):
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1][1] = number
        else:
            ranges.append([number, number])
    return ranges


def _in_ranges(number: int, ranges) -> bool:
    return any(first <= number <= last for first, last in ranges)


def record_import(session: Session, run_id: int, created: dict[str, list[int]],
                  extended: dict[str, list[int]] | None = None) -> None:
    """One audit event for a batch an import run stored in bulk: the ids it created (by entity
    name) and the responses it extended, in the session's transaction."""
    created = {kind: id_ranges(ids) for kind, ids in created.items() if ids}
    extended = {kind: id_ranges(ids) for kind, ids in (extended or {}).items() if ids}
    if not created and not extended:
        return
    value = {"created": created, **({"extended": extended} if extended else {})}
    session.execute(insert(AuditEvent), [dict(
        at=utcnow(), user_id=_actor_id(session), entity_type=IMPORT_RUN, entity_id=run_id, field=IMPORT_ROWS,
        old=None, new=json.dumps(value, separators=(",", ":")), version=None)])


def _import_run_of(session: Session, entity: str, entity_id: int) -> int | None:
    if entity in ("recommendation", "response"):
        model = AUDITED[entity]
        return session.scalar(select(model.import_run_id).where(model.id == entity_id), execution_options=WITH_DELETED)
    if entity == "decision":
        return session.scalar(select(Recommendation.import_run_id).join(Decision, Decision.recommendation_id
                                                                         == Recommendation.id)
                              .where(Decision.id == entity_id), execution_options=WITH_DELETED)
    return None


def import_events(session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    """The events of one object found in the batch records of import runs (see above), as
    events of the object itself (not added to the session)."""
    run_id = _import_run_of(session, entity, entity_id)
    if run_id is None:
        return []
    # The run that created it, and later runs of the same file (a resumed import extends responses).
    first = session.get(ImportRun, run_id)
    runs = [run_id] if first is None else list(session.scalars(select(ImportRun.id).where(
        ImportRun.id >= run_id, ImportRun.kind == first.kind, ImportRun.sha256 == first.sha256)))
    records = session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == IMPORT_RUN, AuditEvent.entity_id.in_(runs), AuditEvent.field == IMPORT_ROWS)
        .options(selectinload(AuditEvent.user)).order_by(AuditEvent.id))
    found = []
    for record in records:
        value = json.loads(record.new or "{}")
        if _in_ranges(entity_id, value.get("created", {}).get(entity, ())):
            field, new = "created", json.dumps({"import_run_id": str(record.entity_id)})
        elif _in_ranges(entity_id, value.get("extended", {}).get(entity, ())):
            field, new = "text", f"(recommendations added by import run #{record.entity_id})"
        else:
            continue
        event = AuditEvent(id=record.id, at=record.at, user_id=record.user_id, entity_type=entity,
                           entity_id=entity_id, field=field, old=None, new=new, version=None)
        event.user = record.user
        found.append(event)
    return found


def history(session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    """Every event for one object, newest first, with who made it, including what bulk
    imports recorded on their runs (see ``record_import``)."""
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
            .options(selectinload(AuditEvent.user))
            .order_by(AuditEvent.id.desc())
        )
    )
    imported = import_events(session, entity, entity_id)
    if imported:
        events = sorted(events + imported, key=lambda event: event.id, reverse=True)
    return events


def changes_since(session: Session, obj, version: int) -> list[AuditEvent]:
    """What changed on ``obj`` after the version a form was loaded with, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity_type == entity_name(obj),
                AuditEvent.entity_id == obj.id,
                AuditEvent.version > version,
            )
            .order_by(AuditEvent.id)
        )
    )
