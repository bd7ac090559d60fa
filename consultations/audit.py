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
from sqlalchemy.orm import Session

from consultations.models import (
    Campaign,
    Cluster,
    Consultation,
    Framework,
    FrameworkItem,
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
    after a commit: the attribute listeners ask for it."""
    if event.contains(Session, "after_flush", record_changes):
        return
    for model in AUDITED.values():
        for attr in inspect(model).column_attrs:
            if attr.key not in NOT_AUDITED_FIELDS and attr.key != "id":
                event.listen(getattr(model, attr.key), "set", _load_old_values_on_set,
                             active_history=True, retval=True)
    event.listen(Session, "after_flush", record_changes)


def history(session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    """Every event for one object, newest first, with who made it (one query)."""
    from sqlalchemy.orm import selectinload

    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity, AuditEvent.entity_id == entity_id)
            .options(selectinload(AuditEvent.user))
            .order_by(AuditEvent.id.desc())
        )
    )


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
